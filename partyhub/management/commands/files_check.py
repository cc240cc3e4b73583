"""``manage.py files_check``: rows without bytes, bytes that changed, and bytes without rows.

Exit status 0 when everything matches (or every orphan was deleted with ``--delete-orphans``), 1 otherwise.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from partyhub.files import check_files


class Command(BaseCommand):
    help = "Check private files: missing files, checksum mismatches and orphans (files no row points at)."

    def add_arguments(self, parser):
        parser.add_argument("--delete-orphans", action="store_true", help="Delete orphaned files.")
        parser.add_argument(
            "--quick", action="store_true", help="Compare sizes only instead of recomputing every SHA-256."
        )
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=60,
            help="Ignore files younger than this (uploads in progress). Default: 60.",
        )

    def handle(self, *args, delete_orphans=False, quick=False, grace_minutes=60, **options):
        report = check_files(
            verify_checksums=not quick,
            delete_orphans=delete_orphans,
            orphan_grace=timedelta(minutes=max(grace_minutes, 0)),
        )
        for line in report.missing:
            self.stdout.write(f"MISSING  {line}")
        for line in report.mismatched:
            self.stdout.write(f"CHANGED  {line}")
        deleted = set(report.deleted_orphans)
        for name in report.orphans:
            self.stdout.write(f"{'DELETED' if name in deleted else 'ORPHAN '}  {name}")
        summary = (
            f"{report.checked} files checked: {len(report.missing)} missing, {len(report.mismatched)} changed, "
            f"{len(report.orphans)} orphans ({len(report.deleted_orphans)} deleted)."
        )
        if not report.ok:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
