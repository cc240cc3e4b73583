from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from partyhub.files import register_file_access

        from .permissions import incoming_file_access
        from .search import register_sqlite_functions

        # Files of incoming documents follow the document's access rule (and classified ones have none).
        register_file_access(incoming_file_access)
        # The embedded SQLite gets ph_fold() for diacritic-insensitive filters.
        connection_created.connect(register_sqlite_functions, dispatch_uid="documents_sqlite_fold")
        # Home page: documents to handle, to direct, to register (D3).
        from partyhub.home import register_section

        from . import home

        register_section(home.incoming_to_handle, order=10)
        register_section(home.incoming_to_direct, order=11)
        register_section(home.incoming_to_register, order=12)
