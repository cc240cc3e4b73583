from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyHubConfig(AppConfig):
    name = "partyhub"
    verbose_name = _("PartyHub core")

    def ready(self) -> None:
        from . import audit  # noqa: F401  (connects the audit signal handlers)
