-- Rendered by ovudev from ovu.topology.json (project suite, scenario monolith, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database suite_db
\connect suite_db
ALTER TABLE IF EXISTS public.api_token_usage OWNER TO auth_user;
ALTER TABLE IF EXISTS public.api_tokens OWNER TO auth_user;
ALTER TABLE IF EXISTS public.audit_logs OWNER TO auth_user;
ALTER TABLE IF EXISTS public.drawing_projects OWNER TO web_user;
ALTER TABLE IF EXISTS public.export_jobs OWNER TO web_user;
ALTER TABLE IF EXISTS public.form_schemas OWNER TO forms_user;
ALTER TABLE IF EXISTS public.form_submissions OWNER TO forms_user;
ALTER TABLE IF EXISTS public.form_themes OWNER TO forms_user;
ALTER TABLE IF EXISTS public.forms OWNER TO forms_user;
ALTER TABLE IF EXISTS public.password_resets OWNER TO auth_user;
ALTER TABLE IF EXISTS public.sessions OWNER TO auth_user;
ALTER TABLE IF EXISTS public.short_links OWNER TO forms_user;
ALTER TABLE IF EXISTS public.tenants OWNER TO auth_user;
ALTER TABLE IF EXISTS public.tool_configs OWNER TO web_user;
ALTER TABLE IF EXISTS public.tool_registry OWNER TO web_user;
ALTER TABLE IF EXISTS public.tools OWNER TO web_user;
ALTER TABLE IF EXISTS public.users OWNER TO auth_user;
GRANT SELECT ON TABLE public.tenants TO forms_user, web_user;
GRANT SELECT ON TABLE public.users TO forms_user, web_user;
