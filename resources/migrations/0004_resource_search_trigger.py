"""Full-text search for the library, PostgreSQL only.

A trigger keeps Resource.search_vector in step with the title (weight A),
summary (B) and body (C) however a row is written (admin, services, bulk
loads), and a GIN index serves the search. SQLite (the embedded mode) has
neither: the library falls back to icontains there, so this is a no-op.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION resources_resource_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('pg_catalog.english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('pg_catalog.english', coalesce(NEW.summary, '')), 'B') ||
    setweight(to_tsvector('pg_catalog.english', coalesce(NEW.body, '')), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER resources_resource_search_vector_update
BEFORE INSERT OR UPDATE OF title, summary, body ON resources_resource
FOR EACH ROW EXECUTE FUNCTION resources_resource_search_vector();

UPDATE resources_resource SET title = title;

CREATE INDEX resources_resource_search_gin ON resources_resource USING gin (search_vector);
"""

BACKWARD = """
DROP INDEX IF EXISTS resources_resource_search_gin;
DROP TRIGGER IF EXISTS resources_resource_search_vector_update ON resources_resource;
DROP FUNCTION IF EXISTS resources_resource_search_vector();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("resources", "0003_library_updates_case_studies")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD))]
