"""The Celery application. Start a worker with ``celery -A partyhub worker`` and beat with
``celery -A partyhub beat`` (the schedule lives in the database, see django-celery-beat)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyhub.settings")

app = Celery("partyhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
