"""The minimum age at admission as rule data; a trigram index for the member list's search (PostgreSQL only).

The index serves ``search_text LIKE '%…%'`` (``Member.objects.filter(search_text__contains=…)``); on SQLite
(the embedded mode) the search scans the folded column and this step does nothing.
"""

from django.db import migrations, models

INDEX = "member_search_text_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("members", "Member")._meta.db_table)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gin (search_text gin_trgm_ops)")


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_registry"),
    ]

    operations = [
        migrations.AddField(
            model_name="probationrule",
            name="min_admission_age",
            field=models.PositiveSmallIntegerField(
                default=18,
                help_text="A person must have reached this age on the admission date (Điều lệ Đảng, art. 1).",
                verbose_name="minimum age at admission (years)",
            ),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
