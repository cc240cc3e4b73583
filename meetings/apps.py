from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from members.handbook import register_handbook_section
        from partyhub.files import register_file_access
        from partyhub.home import register_section
        from partyhub.notifications import register_email_attachments

        from . import home
        from .services.agenda import agenda_file_access
        from .services.meetings import ICS_KINDS, notification_ics_attachment

        # Agenda documents' PDFs follow the meeting's access rule (managers, invited delegates in the window).
        register_file_access(agenda_file_access)
        # Invitations, changes, reminders and cancellations are e-mailed with the meeting's .ics.
        for kind in ICS_KINDS:
            register_email_attachments(kind, notification_ics_attachment)
        # Packet masters (managers) and delegates' stamped copies (the delegate in the window, managers).
        from .packets import packet_file_access

        register_file_access(packet_file_access)
        register_section(home.upcoming_meetings, order=20)
        register_handbook_section(home.handbook_meetings, slot="meetings")
