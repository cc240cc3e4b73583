"""``manage.py setup_schedules``: create or repair the periodic tasks in the database beat schedule.

Also runs automatically after every ``migrate`` (post_migrate hook in ``PartyHubConfig.ready``).
"""

from django.core.management.base import BaseCommand

from partyhub.tasks import all_schedules, ensure_schedules


class Command(BaseCommand):
    help = "Create or repair the periodic tasks of every app (django-celery-beat), e.g. outbox relay, audit check."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database="default", **options):
        changed = ensure_schedules(using=database)
        for name in all_schedules():
            state = "created/updated" if name in changed else "unchanged"
            self.stdout.write(f"{name}: {state}")
