"""Search support on PostgreSQL: the ``unaccent`` and ``pg_trgm`` extensions; ``search_vector``, a stored
generated column ``to_tsvector('simple', search_text)`` with a GIN index (ranking reads the stored vector
instead of parsing the text of every match again); a GIN trigram index on ``search_text`` for substring
matches such as "57-nq/tw"; a (received_on, id) index for newest-first pages of very large result sets.
The column is not a model field: only ``documents.search`` reads it, on PostgreSQL. Other databases (the
embedded SQLite) get nothing: the search falls back to ``icontains`` on the folded column."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE documents_incomingdocument ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX IF NOT EXISTS incoming_search_fts ON documents_incomingdocument USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS incoming_search_trgm ON documents_incomingdocument "
    "USING gin (search_text gin_trgm_ops)",
    # Newest first for searches with too many matches to rank (documents.search.COUNT_LIMIT).
    "CREATE INDEX IF NOT EXISTS incoming_received_id ON documents_incomingdocument (received_on DESC, id DESC)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS incoming_received_id",
    "DROP INDEX IF EXISTS incoming_search_trgm",
    "DROP INDEX IF EXISTS incoming_search_fts",
    "ALTER TABLE documents_incomingdocument DROP COLUMN IF EXISTS search_vector",
    # The extensions stay: other apps may use them, and dropping one needs more rights than creating it.
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_seed_document_types")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
