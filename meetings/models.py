"""Paperless meetings (issue 6, domain.md §5): meetings and invitations, agenda with documents and comments
on drafts, packets and per-delegate copies, private page notes, attendance, votes, minutes, the work
schedule. Written only through ``meetings.services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from documents.models import Confidentiality, IncomingDocument, OutgoingDocument, Publication
from members.models import Member, Organization
from partyhub.models import StoredFile


class MeetingKind(models.TextChoices):
    CELL_REGULAR = "cell_regular", _("Cell regular meeting")
    CELL_THEMATIC = "cell_thematic", _("Cell thematic meeting")
    COMMITTEE_CONFERENCE = "committee_conference", _("Executive committee conference")
    STANDING_COMMITTEE = "standing_committee", _("Standing committee meeting")
    CONGRESS = "congress", _("Congress")


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    INVITED = "invited", _("Invitations sent")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    online_link = models.URLField(_("online link"), max_length=500, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chair"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    minute_taker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("minute-taker"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confidentiality = models.CharField(
        _("confidentiality"), max_length=20, choices=Confidentiality.choices, blank=True, default=Confidentiality.NORMAL
    )
    status = models.CharField(_("status"), max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT)
    #: Delegates can open the folder from this moment (empty: as soon as invited) …
    folder_opens_at = models.DateTimeField(_("folder opens at"), null=True, blank=True)
    #: … until this moment; tablets drop their cached copy then too (empty: the default retention after the end).
    folder_closes_at = models.DateTimeField(_("folder closes at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    invitations_sent_at = models.DateTimeField(_("invitations sent at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    sequence = models.PositiveIntegerField(_("iCal sequence"), default=0, help_text=_("Raised at every change."))

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["organization", "starts_at"], name="meeting_org_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")), name="meeting_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class InviteeKind(models.TextChoices):
    DELEGATE = "delegate", _("Delegate")
    GUEST = "guest", _("Guest")


class Attendance(models.TextChoices):
    UNKNOWN = "", _("Not recorded")
    PRESENT = "present", _("Present")
    ABSENT_EXCUSED = "absent_excused", _("Absent with reason")
    ABSENT_UNEXCUSED = "absent_unexcused", _("Absent without reason")
    EXEMPTED = "exempted", _("Exempted")


class Invitation(models.Model):
    """A person invited to a meeting: a delegate (a member and/or a user) or a guest. Holds the attendance,
    the check-in token of the QR code, and whether the delegate's tablet has the folder offline."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="invitations"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InviteeKind.choices, default=InviteeKind.DELEGATE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meeting_invitations",
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=150, help_text=_("As printed on the packet and the minutes."))
    email = models.EmailField(_("e-mail"), blank=True)
    copy_number = models.PositiveIntegerField(_("copy number"))
    #: Whether this delegate may vote (an official member, not suspended …), fixed when the meeting opens.
    may_vote = models.BooleanField(_("may vote"), default=False)
    #: Counted in the denominator of a vote (domain.md §5), fixed when the meeting opens.
    counts_for_quorum = models.BooleanField(_("counted in the denominator"), default=False)
    attendance = models.CharField(_("attendance"), max_length=20, choices=Attendance.choices, blank=True, default="")
    absence_reason = models.CharField(_("reason for absence"), max_length=300, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checkin_token = models.CharField(_("check-in code"), max_length=64, unique=True)
    folder_ready_version = models.PositiveIntegerField(_("packet version on the tablet"), null=True, blank=True)
    folder_ready_at = models.DateTimeField(_("folder ready offline at"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["meeting", "copy_number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "copy_number"], name="invitation_unique_copy"),
            models.UniqueConstraint(
                fields=["meeting", "user"], condition=Q(user__isnull=False), name="invitation_unique_user"
            ),
            models.UniqueConstraint(
                fields=["meeting", "member"], condition=Q(member__isnull=False), name="invitation_unique_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.name}"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda")
    order = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("title"), max_length=500)
    presenter = models.CharField(_("presenter"), max_length=150, blank=True)
    presenter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("presenter (user)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    planned_minutes = models.PositiveSmallIntegerField(_("planned time (minutes)"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda")
        ordering = ["meeting", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class AgendaDocument(models.Model):
    """A document on an agenda item: picked from the registers (incoming/outgoing), the library, or uploaded.
    A classified one has no file: the packet lists it as handled on paper."""

    item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), on_delete=models.CASCADE, related_name="documents"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=500)
    incoming = models.ForeignKey(
        IncomingDocument,
        verbose_name=_("incoming document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outgoing = models.ForeignKey(
        OutgoingDocument,
        verbose_name=_("outgoing document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    publication = models.ForeignKey(
        Publication, verbose_name=_("library text"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.ForeignKey(
        StoredFile,
        verbose_name=_("file"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The PDF that goes into the packet (uploaded, or copied from the picked document)."),
    )
    confidentiality = models.CharField(
        _("confidentiality"), max_length=20, choices=Confidentiality.choices, blank=True, default=Confidentiality.NORMAL
    )
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    is_draft = models.BooleanField(_("draft under consultation"), default=False)
    comments_until = models.DateTimeField(_("comments accepted until"), null=True, blank=True)
    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("agenda document")
        verbose_name_plural = _("agenda documents")
        ordering = ["item", "order", "id"]

    def __str__(self) -> str:
        return self.title


class DraftComment(models.Model):
    """A delegate's comment on a draft under consultation (góp ý dự thảo)."""

    document = models.ForeignKey(
        AgendaDocument, verbose_name=_("draft"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    page = models.PositiveIntegerField(_("page"), null=True, blank=True)
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("comment on a draft")
        verbose_name_plural = _("comments on drafts")
        ordering = ["document", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:60]}"


class PacketStatus(models.TextChoices):
    BUILDING = "building", _("Being compiled")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Packet(models.Model):
    """A compiled version of the meeting packet (cover, agenda, contents, documents, page numbers). Each
    change of a document makes a new version; delegates' copies are stamped from its master file."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="packets")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=20, choices=PacketStatus.choices, default=PacketStatus.BUILDING)
    master_file = models.ForeignKey(
        StoredFile, verbose_name=_("master file"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    contents = models.JSONField(
        _("table of contents"),
        default=list,
        blank=True,
        help_text=_("[{document id, title, first page, pages, on paper}] in packet order."),
    )
    changes = models.JSONField(_("changes since the previous version"), default=list, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)

    class Meta:
        verbose_name = _("packet")
        verbose_name_plural = _("packets")
        ordering = ["meeting", "-version"]
        constraints = [models.UniqueConstraint(fields=["meeting", "version"], name="packet_unique_version")]

    def __str__(self) -> str:
        return f"{self.meeting} v{self.version}"


class DelegateCopy(models.Model):
    """A delegate's watermarked copy of a packet version (name, copy number and date on every page)."""

    packet = models.ForeignKey(Packet, verbose_name=_("packet"), on_delete=models.CASCADE, related_name="copies")
    invitation = models.ForeignKey(
        Invitation, verbose_name=_("delegate"), on_delete=models.CASCADE, related_name="copies"
    )
    file = models.ForeignKey(StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+")
    stamp_text = models.CharField(_("stamp"), max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delegate's copy")
        verbose_name_plural = _("delegates' copies")
        ordering = ["packet", "invitation"]
        constraints = [models.UniqueConstraint(fields=["packet", "invitation"], name="copy_unique_delegate")]

    def __str__(self) -> str:
        return self.stamp_text


class PageNote(models.Model):
    """A delegate's private note on a page of a document in the meeting folder. Only its author ever sees
    it. ``client_id`` makes an offline note's sync idempotent; the latest ``client_updated_at`` wins."""

    invitation = models.ForeignKey(
        Invitation, verbose_name=_("delegate"), on_delete=models.CASCADE, related_name="notes"
    )
    document = models.ForeignKey(
        AgendaDocument, verbose_name=_("document"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    page = models.PositiveIntegerField(_("page"))
    text = models.TextField(_("note"), blank=True)
    client_id = models.UUIDField(_("client id"))
    client_updated_at = models.DateTimeField(_("written at"))
    deleted = models.BooleanField(_("deleted"), default=False)
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        verbose_name = _("page note")
        verbose_name_plural = _("page notes")
        ordering = ["invitation", "document", "page", "id"]
        constraints = [models.UniqueConstraint(fields=["invitation", "client_id"], name="note_unique_client_id")]

    def __str__(self) -> str:
        return f"p. {self.page}: {self.text[:40]}"


class VoteRule(models.Model):
    """How a vote passes (domain.md §5) — data with a validity period: ``numerator/denominator`` of the
    ``base``, strictly more (``more than half``) or at least (``≥ 2/3``)."""

    class Base(models.TextChoices):
        ELIGIBLE = "eligible", _("Official members counted in the denominator")
        OFFICIAL = "official", _("All official members of the organization")
        VOTES_CAST = "cast", _("Votes cast")

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    numerator = models.PositiveSmallIntegerField(_("numerator"))
    denominator = models.PositiveSmallIntegerField(_("denominator"))
    strictly_more = models.BooleanField(_("strictly more than the fraction"), default=True)
    base = models.CharField(_("counted against"), max_length=20, choices=Base.choices, default=Base.ELIGIBLE)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("vote rule")
        verbose_name_plural = _("vote rules")
        ordering = ["code", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["code", "valid_from"], name="vote_rule_unique_from")]

    def __str__(self) -> str:
        return self.name


class VoteKind(models.TextChoices):
    OPEN = "open", _("Open (show of party cards)")
    SECRET = "secret", _("Secret ballot")


class VoteStatus(models.TextChoices):
    DRAFT = "draft", _("Not opened")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class VoteChoice(models.TextChoices):
    AGREE = "agree", _("Agree")
    DISAGREE = "disagree", _("Disagree")
    ABSTAIN = "abstain", _("Abstain")


class Vote(models.Model):
    """A vote on an agenda item. Open votes keep each ballot with its voter; secret votes keep only who has
    voted (:class:`BallotReceipt`) and the counts (:class:`SecretTally`) — never who voted how."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="votes")
    item = models.ForeignKey(
        AgendaItem,
        verbose_name=_("agenda item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="votes",
    )
    question = models.CharField(_("question"), max_length=500)
    kind = models.CharField(_("kind"), max_length=10, choices=VoteKind.choices, default=VoteKind.OPEN)
    rule = models.ForeignKey(VoteRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=VoteStatus.choices, default=VoteStatus.DRAFT)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # --- fixed when closed ---
    base_count = models.PositiveIntegerField(_("denominator"), null=True, blank=True)
    agree_count = models.PositiveIntegerField(_("agree"), null=True, blank=True)
    disagree_count = models.PositiveIntegerField(_("disagree"), null=True, blank=True)
    abstain_count = models.PositiveIntegerField(_("abstain"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    # --- paper ballots entered by the secretary ---
    paper_agree = models.PositiveIntegerField(_("paper: agree"), default=0)
    paper_disagree = models.PositiveIntegerField(_("paper: disagree"), default=0)
    paper_abstain = models.PositiveIntegerField(_("paper: abstain"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["meeting", "created_at", "id"]

    def __str__(self) -> str:
        return self.question


class Ballot(models.Model):
    """One delegate's answer in an OPEN vote."""

    vote = models.ForeignKey(Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="ballots")
    invitation = models.ForeignKey(Invitation, verbose_name=_("delegate"), on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("answer"), max_length=10, choices=VoteChoice.choices)
    cast_at = models.DateTimeField(_("cast at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [models.UniqueConstraint(fields=["vote", "invitation"], name="ballot_once")]

    def __str__(self) -> str:
        return f"{self.vote}: {self.invitation_id}"


class BallotReceipt(models.Model):
    """That a delegate has voted in a SECRET vote — and nothing about how."""

    vote = models.ForeignKey(Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="receipts")
    invitation = models.ForeignKey(Invitation, verbose_name=_("delegate"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("ballot receipt")
        verbose_name_plural = _("ballot receipts")
        constraints = [models.UniqueConstraint(fields=["vote", "invitation"], name="receipt_once")]

    def __str__(self) -> str:
        return f"{self.vote}: {self.invitation_id}"


class SecretTally(models.Model):
    """The running count of one answer in a SECRET vote (incremented, never a row per ballot)."""

    vote = models.ForeignKey(Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="tallies")
    choice = models.CharField(_("answer"), max_length=10, choices=VoteChoice.choices)
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("secret tally")
        verbose_name_plural = _("secret tallies")
        constraints = [models.UniqueConstraint(fields=["vote", "choice"], name="tally_unique_choice")]

    def __str__(self) -> str:
        return f"{self.vote}: {self.choice}"


class SpeakerNote(models.Model):
    """A speaker's opinion typed by the minute-taker during the meeting."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="speaker_notes"
    )
    item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    speaker = models.CharField(_("speaker"), max_length=150)
    text = models.TextField(_("opinion"))
    order = models.PositiveIntegerField(_("order"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("typed by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("speaker's opinion")
        verbose_name_plural = _("speakers' opinions")
        ordering = ["meeting", "order", "id"]

    def __str__(self) -> str:
        return f"{self.speaker}: {self.text[:40]}"


class MeetingTask(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="tasks")
    item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.TextField(_("task"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner_name = models.CharField(_("owner (as written)"), max_length=150, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["meeting", "deadline", "id"]

    def __str__(self) -> str:
        return self.description[:60]


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    FILED = "filed", _("Signed and filed")


class Minutes(models.Model):
    """The biên bản of a meeting: assembled from what happened, edited, approved, rendered, signed and filed
    as an outgoing document (type "Biên bản") through the documents app's services."""

    meeting = models.OneToOneField(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="minutes")
    status = models.CharField(_("status"), max_length=20, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT)
    body = models.TextField(_("text"), blank=True, help_text=_("Sanitized HTML."))
    assembled_at = models.DateTimeField(_("assembled at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    document = models.ForeignKey(
        OutgoingDocument, verbose_name=_("filed as"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.ForeignKey(
        OutgoingDocument,
        verbose_name=_("resolution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution_posted_at = models.DateTimeField(_("resolution posted at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self) -> str:
        return str(self.meeting)


class ScheduleEntry(models.Model):
    """An entry of an organization's weekly work schedule (lịch công tác): a meeting or another event."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="schedule"
    )
    meeting = models.OneToOneField(
        Meeting,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="schedule_entry",
    )
    title = models.CharField(_("title"), max_length=300)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    participants = models.CharField(_("who"), max_length=500, blank=True, help_text=_("Leaders or units taking part."))
    host = models.CharField(_("in charge"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    published = models.BooleanField(_("published to members"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("schedule entry")
        verbose_name_plural = _("work schedule")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["organization", "starts_at"], name="schedule_org_start")]

    def __str__(self) -> str:
        return self.title


class CalendarFeed(models.Model):
    """The secret token in a user's personal iCal feed URL (revocable by making a new one)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
