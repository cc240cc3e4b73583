from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members and organizations")

    def ready(self) -> None:
        from . import records_home

        records_home.register()

        from . import fees_home

        fees_home.register()
