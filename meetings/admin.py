"""Django admin of the meetings app.

Vote rules are data an administrator maintains (domain.md §5: thresholds with a validity period), so they
are editable. Everything else is written by the services (invitations, sequence numbers, packets, votes,
minutes) and is shown read-only: an edit here would bypass the notices, the packet versions and the audit of
those services. Nothing can be deleted here.

The access rule holds in the admin too: meetings (and what hangs off them) are listed through
``meetings.selectors.meetings_visible_to``, so a classified meeting is shown only to a superuser cleared for
its level. Secret votes stay secret: a :class:`BallotReceipt` shows *who* voted, a :class:`SecretTally` only
the counts — neither links to the other, and no page shows an answer next to a voter. Private page notes show
no text; check-in and calendar tokens are never shown.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    AgendaDocument,
    AgendaItem,
    Ballot,
    BallotReceipt,
    CalendarFeed,
    DelegateCopy,
    DraftComment,
    Invitation,
    Meeting,
    MeetingTask,
    Minutes,
    Packet,
    PageNote,
    ScheduleEntry,
    SecretTally,
    SpeakerNote,
    Vote,
    VoteRule,
)
from .selectors import meetings_visible_to


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VisibleMeetingsMixin:
    """Only rows of meetings the user may see (``meeting_path``: the lookup from the model to its Meeting)."""

    meeting_path = "meeting"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        visible = meetings_visible_to(request.user).values("pk")
        if not self.meeting_path:
            return qs.filter(pk__in=visible)
        return qs.filter(**{f"{self.meeting_path}__in": visible})


class InvitationInline(admin.TabularInline):
    model = Invitation
    fields = ("copy_number", "kind", "name", "user", "member", "email", "invited_at", "attendance")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    fields = ("order", "title", "presenter", "planned_minutes")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    meeting_path = ""
    list_display = ("title", "kind", "organization", "starts_at", "place", "status", "confidentiality", "sequence")
    list_filter = ("kind", "status", "confidentiality", "organization")
    search_fields = ("title", "place", "description")
    date_hierarchy = "starts_at"
    list_select_related = ("organization",)
    inlines = [AgendaItemInline, InvitationInline]


@admin.register(Invitation)
class InvitationAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    list_display = ("name", "meeting", "kind", "copy_number", "invited_at", "attendance", "folder_ready_version")
    list_filter = ("kind", "attendance")
    search_fields = ("name", "email", "meeting__title")
    list_select_related = ("meeting",)
    # The check-in token is what the QR code holds: never shown.
    exclude = ("checkin_token",)


@admin.register(AgendaItem)
class AgendaItemAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    list_display = ("title", "meeting", "order", "presenter", "planned_minutes")
    search_fields = ("title", "presenter", "meeting__title")
    list_select_related = ("meeting",)


@admin.register(AgendaDocument)
class AgendaDocumentAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    meeting_path = "item__meeting"
    list_display = ("title", "item", "order", "confidentiality", "page_count", "is_draft", "comments_until")
    list_filter = ("is_draft", "confidentiality")
    search_fields = ("title", "item__title", "item__meeting__title")
    list_select_related = ("item",)


@admin.register(DraftComment)
class DraftCommentAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    meeting_path = "document__item__meeting"
    list_display = ("document", "author", "page", "created_at")
    search_fields = ("text", "document__title")
    list_select_related = ("document", "author")


@admin.register(Packet)
class PacketAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    list_display = ("meeting", "version", "status", "page_count", "created_at", "built_at")
    list_filter = ("status",)
    list_select_related = ("meeting",)


@admin.register(DelegateCopy)
class DelegateCopyAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    meeting_path = "packet__meeting"
    list_display = ("stamp_text", "packet", "invitation", "created_at")
    list_select_related = ("packet", "invitation")


@admin.register(PageNote)
class PageNoteAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    """Private notes: only that they exist (for support questions about syncing) — never their text."""

    meeting_path = "invitation__meeting"
    list_display = ("invitation", "document", "page", "deleted", "client_updated_at", "updated_at")
    list_filter = ("deleted",)
    exclude = ("text",)
    list_select_related = ("invitation",)
    # The row's name (``str``) starts with its text, so the note has no page of its own here: the list only.
    list_display_links = None

    def has_view_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_view_permission(request, obj)


@admin.register(VoteRule)
class VoteRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "numerator", "denominator", "strictly_more", "base", "valid_from", "valid_until")
    list_filter = ("code", "base")
    search_fields = ("code", "name", "note")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Vote)
class VoteAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    list_display = (
        "question",
        "meeting",
        "kind",
        "status",
        "agree_count",
        "disagree_count",
        "abstain_count",
        "base_count",
        "passed",
    )
    list_filter = ("kind", "status", "passed")
    search_fields = ("question", "meeting__title")
    list_select_related = ("meeting",)


@admin.register(Ballot)
class BallotAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    """Answers of OPEN votes (show of party cards): public in the room, so shown with the voter."""

    meeting_path = "vote__meeting"
    list_display = ("vote", "invitation", "choice", "cast_at")
    list_filter = ("choice",)
    list_select_related = ("vote", "invitation")

    def get_queryset(self, request):
        from .models import VoteKind

        return super().get_queryset(request).filter(vote__kind=VoteKind.OPEN)


@admin.register(BallotReceipt)
class BallotReceiptAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    """Who has voted in a secret vote — never how."""

    meeting_path = "vote__meeting"
    list_display = ("vote", "invitation")
    list_select_related = ("vote", "invitation")


@admin.register(SecretTally)
class SecretTallyAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    """The counts of a secret vote — never who."""

    meeting_path = "vote__meeting"
    list_display = ("vote", "choice", "count_when_closed")
    list_select_related = ("vote",)
    # H-room: while the vote is open the counts are hidden — watching them move next to the receipts' list
    # would tell who voted how.
    fields = ("vote", "choice", "count_when_closed")
    readonly_fields = fields

    @admin.display(description=_("count"))
    def count_when_closed(self, obj):
        from .models import VoteStatus

        return obj.count if obj.vote.status == VoteStatus.CLOSED else _("Hidden until the vote is closed")


@admin.register(SpeakerNote)
class SpeakerNoteAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    list_display = ("speaker", "meeting", "order", "created_at")
    search_fields = ("speaker", "text", "meeting__title")
    list_select_related = ("meeting",)


@admin.register(MeetingTask)
class MeetingTaskAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    list_display = ("description", "meeting", "owner", "owner_name", "deadline")
    search_fields = ("description", "owner_name", "meeting__title")
    list_select_related = ("meeting", "owner")


@admin.register(Minutes)
class MinutesAdmin(VisibleMeetingsMixin, ReadOnlyAdmin):
    list_display = ("meeting", "status", "approved_at", "document", "resolution_posted_at")
    list_filter = ("status",)
    list_select_related = ("meeting",)


@admin.register(ScheduleEntry)
class ScheduleEntryAdmin(ReadOnlyAdmin):
    list_display = ("title", "organization", "starts_at", "place", "host", "published", "meeting")
    list_filter = ("published", "organization")
    search_fields = ("title", "place", "host", "participants")
    date_hierarchy = "starts_at"
    list_select_related = ("organization", "meeting")

    def get_queryset(self, request):
        from .selectors import schedule_visible_to

        return super().get_queryset(request).filter(pk__in=schedule_visible_to(request.user).values("pk"))


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    """Whose feeds exist — the token (the feed's password) is never shown."""

    list_display = ("user", "created_at")
    search_fields = ("user__username", "user__full_name")
    exclude = ("token",)
