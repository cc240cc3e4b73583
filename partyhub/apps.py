from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyHubConfig(AppConfig):
    name = "partyhub"
    verbose_name = _("PartyHub core")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import audit
        from .tasks import ensure_schedules_after_migrate

        # Record create/update/delete of every domain model, logins and logouts (see partyhub/audit.py).
        audit.connect_signals()
        # The beat schedule (outbox relay, nightly audit check) is created after every migrate.
        post_migrate.connect(ensure_schedules_after_migrate, sender=self, dispatch_uid="partyhub.schedules")
