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
        # The library (issue 5): issued files of publications are readable by their audience, public ones by
        # anybody; the handbook's "documents" slot lists what was published for the member.
        from members.handbook import register_handbook_section
        from partyhub.files import register_public_file_access

        from .library import handbook_section, library_file_access, public_file_check

        register_file_access(library_file_access)
        register_public_file_access(public_file_check)
        register_handbook_section(handbook_section, slot="documents")
        # Outgoing documents (issue 5, flow): their files follow the document's access rule; the home page
        # lists what waits for the reader (to review, sign, issue, or returned).
        from .permissions import outgoing_file_access

        register_file_access(outgoing_file_access)
        register_section(home.outgoing_waiting, order=9)
