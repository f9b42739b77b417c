-- Rendered by ovudev from ovu.topology.json (project suite, scenario dedicated, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database forms_db
\connect forms_db
ALTER TABLE IF EXISTS public.form_schemas OWNER TO forms_user;
ALTER TABLE IF EXISTS public.form_submissions OWNER TO forms_user;
ALTER TABLE IF EXISTS public.form_themes OWNER TO forms_user;
ALTER TABLE IF EXISTS public.forms OWNER TO forms_user;
ALTER TABLE IF EXISTS public.short_links OWNER TO forms_user;
