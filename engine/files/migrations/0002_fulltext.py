"""The full-text index on chunks, for the database in use.

SQLite: an FTS5 table over engine_files_chunk.terms (external content) kept in step by triggers,
and an fts5vocab table for document frequencies. PostgreSQL: a generated tsvector column with a
GIN index. Both use no stemming or stop words of their own: `terms` is already normalised by
engine.files.text.terms.

Careful: on SQLite, a later migration that alters engine_files_chunk rebuilds the table and
drops these triggers; such a migration must create them again (run SQLITE_TRIGGERS).
"""

from django.db import migrations

SQLITE_TABLES = [
    "CREATE VIRTUAL TABLE engine_files_chunk_fts USING fts5("
    "terms, content='engine_files_chunk', content_rowid='id', tokenize='unicode61')",
    "CREATE VIRTUAL TABLE engine_files_chunk_vocab USING fts5vocab(engine_files_chunk_fts, 'row')",
]
SQLITE_TRIGGERS = [
    "CREATE TRIGGER engine_files_chunk_ai AFTER INSERT ON engine_files_chunk BEGIN "
    "INSERT INTO engine_files_chunk_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER engine_files_chunk_ad AFTER DELETE ON engine_files_chunk BEGIN "
    "INSERT INTO engine_files_chunk_fts(engine_files_chunk_fts, rowid, terms) "
    "VALUES ('delete', old.id, old.terms); END",
    "CREATE TRIGGER engine_files_chunk_au AFTER UPDATE ON engine_files_chunk BEGIN "
    "INSERT INTO engine_files_chunk_fts(engine_files_chunk_fts, rowid, terms) "
    "VALUES ('delete', old.id, old.terms); "
    "INSERT INTO engine_files_chunk_fts(rowid, terms) VALUES (new.id, new.terms); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS engine_files_chunk_ai",
    "DROP TRIGGER IF EXISTS engine_files_chunk_ad",
    "DROP TRIGGER IF EXISTS engine_files_chunk_au",
    "DROP TABLE IF EXISTS engine_files_chunk_vocab",
    "DROP TABLE IF EXISTS engine_files_chunk_fts",
]
POSTGRESQL = [
    "ALTER TABLE engine_files_chunk ADD COLUMN terms_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED",
    "CREATE INDEX engine_files_chunk_terms_tsv ON engine_files_chunk USING GIN (terms_tsv)",
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS engine_files_chunk_terms_tsv",
    "ALTER TABLE engine_files_chunk DROP COLUMN IF EXISTS terms_tsv",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_TABLES + SQLITE_TRIGGERS)
        # Chunks written before this migration (none in practice) join the index.
        schema_editor.execute(
            "INSERT INTO engine_files_chunk_fts(engine_files_chunk_fts) VALUES ('rebuild')"
        )
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRESQL)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_DROP)


class Migration(migrations.Migration):
    dependencies = [("engine_files", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
