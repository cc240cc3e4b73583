"""``manage.py audit_verify``: check the audit trail's hash chain.

Exit status 0 with a summary when the chain is intact; otherwise exit status 1 naming the first broken entry
(id, time and why: hash mismatch, broken link, missing entry or head mismatch).
"""

from django.core.management.base import BaseCommand, CommandError

from partyhub.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the tamper-evident hash chain of the audit trail and name the first broken entry."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=None, help="Database alias (default: the audit's database).")
        parser.add_argument("--chunk-size", type=int, default=2000, help="Rows fetched per round trip.")

    def handle(self, *args, database=None, chunk_size=2000, **options):
        report = verify_chain(using=database, chunk_size=chunk_size)
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
