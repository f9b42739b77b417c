-- Rendered by ovudev from ovu.topology.json (project suite, scenario dedicated, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database auth_db
\connect auth_db
ALTER TABLE IF EXISTS public.api_token_usage OWNER TO auth_user;
ALTER TABLE IF EXISTS public.api_tokens OWNER TO auth_user;
ALTER TABLE IF EXISTS public.audit_logs OWNER TO auth_user;
ALTER TABLE IF EXISTS public.password_resets OWNER TO auth_user;
ALTER TABLE IF EXISTS public.sessions OWNER TO auth_user;
ALTER TABLE IF EXISTS public.tenants OWNER TO auth_user;
ALTER TABLE IF EXISTS public.users OWNER TO auth_user;
GRANT SELECT ON TABLE public.tenants TO forms_user, web_user;
GRANT SELECT ON TABLE public.users TO forms_user, web_user;
