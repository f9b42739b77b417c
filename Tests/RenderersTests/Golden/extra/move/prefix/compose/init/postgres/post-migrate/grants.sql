-- Rendered by ovudev from ovu.topology.json (project suite, scenario prefix, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database suite_db
\connect suite_db
ALTER TABLE IF EXISTS public.auth_api_token_usage OWNER TO auth_user;
ALTER TABLE IF EXISTS public.auth_api_tokens OWNER TO auth_user;
ALTER TABLE IF EXISTS public.auth_audit_logs OWNER TO auth_user;
ALTER TABLE IF EXISTS public.auth_password_resets OWNER TO auth_user;
ALTER TABLE IF EXISTS public.auth_sessions OWNER TO auth_user;
ALTER TABLE IF EXISTS public.auth_tenants OWNER TO auth_user;
ALTER TABLE IF EXISTS public.auth_users OWNER TO auth_user;
ALTER TABLE IF EXISTS public.forms_form_schemas OWNER TO forms_user;
ALTER TABLE IF EXISTS public.forms_form_submissions OWNER TO forms_user;
ALTER TABLE IF EXISTS public.forms_form_themes OWNER TO forms_user;
ALTER TABLE IF EXISTS public.forms_forms OWNER TO forms_user;
ALTER TABLE IF EXISTS public.forms_short_links OWNER TO forms_user;
ALTER TABLE IF EXISTS public.web_drawing_projects OWNER TO web_user;
ALTER TABLE IF EXISTS public.web_export_jobs OWNER TO web_user;
ALTER TABLE IF EXISTS public.web_tool_configs OWNER TO web_user;
ALTER TABLE IF EXISTS public.web_tool_registry OWNER TO web_user;
ALTER TABLE IF EXISTS public.web_tools OWNER TO web_user;
GRANT SELECT ON TABLE public.auth_tenants TO forms_user, web_user;
GRANT SELECT ON TABLE public.auth_users TO forms_user, web_user;
