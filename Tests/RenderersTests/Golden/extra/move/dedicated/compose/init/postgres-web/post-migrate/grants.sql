-- Rendered by ovudev from ovu.topology.json (project suite, scenario dedicated, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database web_db
\connect web_db
ALTER TABLE IF EXISTS public.drawing_projects OWNER TO web_user;
ALTER TABLE IF EXISTS public.export_jobs OWNER TO web_user;
ALTER TABLE IF EXISTS public.tool_configs OWNER TO web_user;
ALTER TABLE IF EXISTS public.tool_registry OWNER TO web_user;
ALTER TABLE IF EXISTS public.tools OWNER TO web_user;
