"""API of meetings, included at /api/v1/ (other areas of issue 6 add their paths below theirs)."""

from django.urls import path

from . import views

urlpatterns = [
    path("meetings/", views.MeetingListView.as_view(), name="meeting-list"),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting-detail"),
    path("meetings/<int:pk>/cancel/", views.MeetingCancelView.as_view(), name="meeting-cancel"),
    path(
        "meetings/<int:pk>/send-invitations/",
        views.MeetingSendInvitationsView.as_view(),
        name="meeting-send-invitations",
    ),
    path("meetings/<int:pk>/invite-members/", views.MeetingInviteMembersView.as_view(), name="meeting-invite-members"),
    path("meetings/<int:pk>/invitations/", views.InvitationListView.as_view(), name="meeting-invitation-list"),
    path(
        "meetings/<int:pk>/invitations/<int:invitation_pk>/",
        views.InvitationDetailView.as_view(),
        name="meeting-invitation-detail",
    ),
    path("meetings/<int:pk>/agenda/", views.AgendaListView.as_view(), name="meeting-agenda"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/", views.AgendaItemView.as_view(), name="meeting-agenda-item"),
    path(
        "meetings/<int:pk>/agenda/<int:item_pk>/move/",
        views.AgendaItemMoveView.as_view(),
        name="meeting-agenda-item-move",
    ),
    path(
        "meetings/<int:pk>/agenda/<int:item_pk>/documents/",
        views.AgendaDocumentListView.as_view(),
        name="meeting-agenda-documents",
    ),
    path("meetings/<int:pk>/documents/<int:doc_pk>/", views.AgendaDocumentView.as_view(), name="meeting-document"),
    path(
        "meetings/<int:pk>/documents/<int:doc_pk>/comments/",
        views.DraftCommentListView.as_view(),
        name="meeting-draft-comments",
    ),
    path(
        "meetings/<int:pk>/documents/<int:doc_pk>/comments/<int:comment_pk>/",
        views.DraftCommentDetailView.as_view(),
        name="meeting-draft-comment",
    ),
    path("schedule/", views.ScheduleListView.as_view(), name="schedule-list"),
    path("schedule/<int:pk>/", views.ScheduleEntryView.as_view(), name="schedule-entry"),
]
