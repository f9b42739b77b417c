-- Rendered by ovudev from ovu.topology.json (project suite, scenario split, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database forms_db
\connect forms_db
ALTER TABLE IF EXISTS public.form_schemas OWNER TO forms_user;
ALTER TABLE IF EXISTS public.form_submissions OWNER TO forms_user;
ALTER TABLE IF EXISTS public.form_themes OWNER TO forms_user;
ALTER TABLE IF EXISTS public.forms OWNER TO forms_user;
ALTER TABLE IF EXISTS public.short_links OWNER TO forms_user;

-- Database suite_db
\connect suite_db
ALTER TABLE IF EXISTS auth.api_token_usage OWNER TO auth_user;
ALTER TABLE IF EXISTS auth.api_tokens OWNER TO auth_user;
ALTER TABLE IF EXISTS auth.audit_logs OWNER TO auth_user;
ALTER TABLE IF EXISTS auth.password_resets OWNER TO auth_user;
ALTER TABLE IF EXISTS auth.sessions OWNER TO auth_user;
ALTER TABLE IF EXISTS auth.tenants OWNER TO auth_user;
ALTER TABLE IF EXISTS auth.users OWNER TO auth_user;
ALTER TABLE IF EXISTS web.drawing_projects OWNER TO web_user;
ALTER TABLE IF EXISTS web.export_jobs OWNER TO web_user;
ALTER TABLE IF EXISTS web.tool_configs OWNER TO web_user;
ALTER TABLE IF EXISTS web.tool_registry OWNER TO web_user;
ALTER TABLE IF EXISTS web.tools OWNER TO web_user;
GRANT SELECT ON TABLE auth.tenants TO forms_user, web_user;
GRANT SELECT ON TABLE auth.users TO forms_user, web_user;
