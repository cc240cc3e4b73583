from django.urls import path

from .views import office, schedule

app_name = "meetings"

# --- meetings core (H-meet: meetings/views/office.py, schedule.py) ----------------------------------------------
urlpatterns: list = [
    path("", office.index, name="index"),
    path("new/", office.new, name="new"),
    path("<int:pk>/", office.detail, name="detail"),
    path("<int:pk>/edit/", office.edit, name="edit"),
    path("<int:pk>/cancel/", office.cancel, name="cancel"),
    path("<int:pk>/invitations/", office.invitations, name="invitations"),
    path("<int:pk>/agenda/", office.agenda, name="agenda"),
    path("<int:pk>/agenda/<int:doc_pk>/comments/", office.draft_comments, name="draft_comments"),
    path("<int:pk>/meeting.ics", office.ics, name="ics"),
    path("schedule/", schedule.schedule, name="schedule"),
    path("schedule/pdf/", schedule.schedule_pdf, name="schedule_pdf"),
    path("schedule/new/", schedule.schedule_entry_new, name="schedule_entry_new"),
    path("schedule/<int:pk>/", schedule.schedule_entry_edit, name="schedule_entry_edit"),
    path("schedule/publish/", schedule.schedule_publish, name="schedule_publish"),
    path("calendar/", schedule.calendar_settings, name="calendar"),
    path("calendar/<str:token>.ics", schedule.ical_feed, name="ical_feed"),
]

# --- the delegate's folder on a tablet (H-tablet: meetings/views/folder.py) ------------------------------------
from django.urls import path as _tablet_path  # noqa: E402

from .views import folder as _folder_views  # noqa: E402

urlpatterns += [
    _tablet_path("my/", _folder_views.my_meetings, name="my_meetings"),
    _tablet_path("sw.js", _folder_views.service_worker, name="service_worker"),
    _tablet_path("<int:pk>/folder/", _folder_views.folder, name="folder"),
    _tablet_path("<int:pk>/folder/read/", _folder_views.reader, name="folder_reader"),
    _tablet_path("<int:pk>/folder/state/", _folder_views.folder_state, name="folder_state"),
    _tablet_path("<int:pk>/folder/ready/", _folder_views.folder_ready, name="folder_ready"),
]

# --- packets (H-packet: meetings/views/packets.py) -------------------------------------------------------------
from django.urls import path as _packet_path  # noqa: E402

from .views import packets as _packet_views  # noqa: E402

urlpatterns += [
    _packet_path("<int:pk>/packet/", _packet_views.packet_panel, name="packet_panel"),
    _packet_path("<int:pk>/packet/build/", _packet_views.packet_build, name="packet_build"),
    _packet_path("<int:pk>/packet/my-copy/", _packet_views.my_copy, name="my_copy"),
]

# --- in the room and the minutes (H-room: meetings/views/room.py, meetings/views/minutes.py) --------------------
from django.urls import path as _room_path  # noqa: E402

from .views import minutes as _minutes_views  # noqa: E402
from .views import room as _room_views  # noqa: E402

urlpatterns += [
    _room_path("<int:pk>/room/", _room_views.room, name="room"),
    _room_path("<int:pk>/room/qr/", _room_views.room_qr, name="room_qr"),
    _room_path("<int:pk>/room/attendance/", _room_views.room_attendance, name="room_attendance"),
    _room_path(
        "<int:pk>/room/attendance/<int:invitation_pk>/", _room_views.room_attendance_set, name="room_attendance_set"
    ),
    _room_path("<int:pk>/room/votes/", _room_views.room_votes, name="room_votes"),
    _room_path("<int:pk>/room/votes/new/", _room_views.room_vote_new, name="room_vote_new"),
    _room_path("<int:pk>/room/votes/<int:vote_pk>/paper/", _room_views.room_vote_paper, name="room_vote_paper"),
    _room_path(
        "<int:pk>/room/votes/<int:vote_pk>/<str:action>/", _room_views.room_vote_action, name="room_vote_action"
    ),
    _room_path("<int:pk>/room/<str:action>/", _room_views.room_meeting_state, name="room_state"),
    _room_path("<int:pk>/checkin/<str:token>/", _room_views.checkin, name="checkin"),
    _room_path("<int:pk>/checkin-code/<str:code>/", _room_views.checkin_code, name="checkin_code"),
    _room_path("<int:pk>/vote/", _room_views.vote, name="vote"),
    _room_path("<int:pk>/vote/panel/", _room_views.vote_panel, name="vote_panel"),
    _room_path("<int:pk>/vote/<int:vote_pk>/", _room_views.vote_cast, name="vote_cast"),
    _room_path("<int:pk>/minutes/", _minutes_views.minutes_page, name="minutes"),
    _room_path("<int:pk>/minutes/pdf/", _minutes_views.minutes_pdf, name="minutes_pdf"),
    _room_path("<int:pk>/minutes/notes/", _minutes_views.minutes_note_add, name="minutes_note_add"),
    _room_path(
        "<int:pk>/minutes/notes/<int:note_pk>/delete/", _minutes_views.minutes_note_delete, name="minutes_note_delete"
    ),
    _room_path("<int:pk>/minutes/tasks/", _minutes_views.minutes_task_add, name="minutes_task_add"),
    _room_path(
        "<int:pk>/minutes/tasks/<int:task_pk>/delete/", _minutes_views.minutes_task_delete, name="minutes_task_delete"
    ),
    _room_path(
        "<int:pk>/minutes/resolution/<str:action>/", _minutes_views.minutes_resolution, name="minutes_resolution"
    ),
    _room_path("<int:pk>/minutes/<str:action>/", _minutes_views.minutes_action, name="minutes_action"),
]
