"""Forms of the office pages (meetings, invitations, agenda, comments, schedule). They only shape input: the
rules and their messages live in the services (``meetings.services``), whose ``ValidationError`` is copied
onto the form by :func:`apply_errors`."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from documents.models import Confidentiality

from . import selectors
from .models import MeetingKind

DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker (ISO value, local time)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _datetime(label, *, required=False, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DateTimeInput(),
        input_formats=DATETIME_INPUT_FORMATS,
        help_text=help_text,
        error_messages={"required": _("Enter a date and time."), "invalid": _("Enter a valid date and time.")},
    )


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` on ``form`` (field errors on their field, the rest on top)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name()


def people_for(actor):
    """The user accounts ``actor`` may pick (chair, minute-taker, presenter, invitees): the active accounts of
    the members they may see (everyone, for administrators)."""
    from members.selectors import members_visible_to

    User = get_user_model()
    users = User.objects.filter(is_active=True)
    if not actor.is_superuser:
        users = users.filter(member__in=members_visible_to(actor))
    return users.order_by("full_name", "username")


def _cleared_levels(actor) -> list[tuple[str, str]]:
    from documents.permissions import cleared_for

    return [(value, label) for value, label in Confidentiality.choices if cleared_for(actor, value)]


class MeetingForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=None, error_messages={"invalid_choice": _("Unknown organization.")}
    )
    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    starts_at = _datetime(_("Starts at"), required=True)
    ends_at = _datetime(_("Ends at"))
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    online_link = forms.CharField(
        label=_("Online link"), max_length=500, required=False, help_text=_("For delegates joining from elsewhere.")
    )
    chair = UserChoiceField(
        label=_("Chair"), queryset=None, required=False, error_messages={"invalid_choice": _("Unknown user.")}
    )
    minute_taker = UserChoiceField(
        label=_("Minute-taker"), queryset=None, required=False, error_messages={"invalid_choice": _("Unknown user.")}
    )
    confidentiality = forms.ChoiceField(label=_("Confidentiality"), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    folder_opens_at = _datetime(
        _("Folder opens at"), help_text=_("Empty: delegates can open the folder as soon as they are invited.")
    )
    folder_closes_at = _datetime(
        _("Folder closes at"),
        help_text=_("Empty: a set number of days after the meeting; tablets drop their copy then too."),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.organizations_for_meetings(actor)
        people = people_for(actor)
        self.fields["chair"].queryset = people
        self.fields["minute_taker"].queryset = people
        self.fields["confidentiality"].choices = _cleared_levels(actor)

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["confidentiality"] = data.get("confidentiality") or ""
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=300)


class MemberInviteForm(forms.Form):
    member = forms.ModelChoiceField(
        label=_("Member"), queryset=None, error_messages={"invalid_choice": _("Unknown member.")}
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        from members.models import CURRENT_STATUSES
        from members.selectors import members_visible_to

        self.fields["member"].queryset = (
            members_visible_to(actor)
            .filter(status__in=CURRENT_STATUSES)
            .select_related("organization")
            .order_by("organization__name", "full_name")
        )
        self.fields["member"].label_from_instance = lambda m: f"{m.full_name} — {m.organization.name}"


class UserInviteForm(forms.Form):
    user = UserChoiceField(label=_("User"), queryset=None, error_messages={"invalid_choice": _("Unknown user.")})
    kind = forms.ChoiceField(
        label=_("As"),
        choices=[("delegate", _("Delegate")), ("guest", _("Guest"))],
        initial="delegate",
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people_for(actor)


class GuestInviteForm(forms.Form):
    name = forms.CharField(label=_("Guest's name"), max_length=150)
    email = forms.CharField(label=_("E-mail address"), max_length=254)


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("Agenda item"), max_length=500)
    presenter = forms.CharField(label=_("Presenter"), max_length=150, required=False)
    presenter_user = UserChoiceField(
        label=_("Presenter's account"),
        queryset=None,
        required=False,
        error_messages={"invalid_choice": _("Unknown user.")},
    )
    planned_minutes = forms.IntegerField(
        label=_("Planned time (minutes)"),
        required=False,
        min_value=1,
        max_value=600,
        error_messages={
            "min_value": _("Enter the planned time in minutes (1 to 600)."),
            "max_value": _("Enter the planned time in minutes (1 to 600)."),
            "invalid": _("Enter the planned time in minutes (1 to 600)."),
        },
    )
    description = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["presenter_user"].queryset = people_for(actor)


SOURCE_CHOICES = [
    ("incoming", _("Incoming register")),
    ("outgoing", _("Outgoing register")),
    ("publication", _("Library")),
    ("upload", _("Upload a PDF")),
    ("paper", _("Classified, handled on paper")),
]

#: How many documents a picker offers (the newest first).
PICKER_LIMIT = 300


def incoming_choices(actor):
    from documents.models import IncomingStatus
    from documents.selectors import incoming_visible_to

    return (
        incoming_visible_to(actor)
        .exclude(status__in=[IncomingStatus.DRAFT, IncomingStatus.VOID])
        .order_by("-id")
        .only("id", "number_symbol", "summary", "confidentiality")[:PICKER_LIMIT]
    )


def outgoing_choices(actor):
    try:
        from documents.selectors import outgoing_visible_to
    except ImportError:  # pragma: no cover - the outgoing register not installed
        return []
    return (
        outgoing_visible_to(actor)
        .exclude(status="void")
        .filter(Q(issued_file__isnull=False) | Q(signed_file__isnull=False) | Q(final_file__isnull=False))
        .order_by("-id")
        .only("id", "number_symbol", "summary", "confidentiality")[:PICKER_LIMIT]
    )


def publication_choices(actor):
    try:
        from documents.library import publications_visible_to
    except ImportError:
        return []
    return (
        publications_visible_to(actor)
        .filter(withdrawn_at__isnull=True)
        .select_related("document")
        .order_by("-published_at", "-id")[:PICKER_LIMIT]
    )


def _doc_label(doc) -> str:
    return " — ".join(x for x in (doc.number_symbol, (doc.summary or "")[:120]) if x) or str(doc.pk)


class AgendaDocumentForm(forms.Form):
    source = forms.ChoiceField(label=_("Where from"), choices=SOURCE_CHOICES, widget=forms.RadioSelect)
    incoming = forms.TypedChoiceField(label=_("Incoming document"), required=False, coerce=int, empty_value=None)
    outgoing = forms.TypedChoiceField(label=_("Outgoing document"), required=False, coerce=int, empty_value=None)
    publication = forms.TypedChoiceField(label=_("Library text"), required=False, coerce=int, empty_value=None)
    upload = forms.FileField(label=_("PDF file"), required=False)
    title = forms.CharField(
        label=_("Title in the packet"), max_length=500, required=False, help_text=_("Empty: the document's own.")
    )
    confidentiality = forms.ChoiceField(label=_("Confidentiality"), required=False)
    is_draft = forms.BooleanField(label=_("Draft under consultation (delegates may comment)"), required=False)
    comments_until = _datetime(_("Comments accepted until"))
    drafter = UserChoiceField(
        label=_("Drafter"),
        queryset=None,
        required=False,
        help_text=_("Sees all comments together. Empty: you."),
        error_messages={"invalid_choice": _("Unknown user.")},
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        empty = [("", "—")]
        unknown = {"invalid_choice": _("Unknown document.")}
        self.fields["incoming"].choices = empty + [(d.pk, _doc_label(d)) for d in incoming_choices(actor)]
        self.fields["outgoing"].choices = empty + [(d.pk, _doc_label(d)) for d in outgoing_choices(actor)]
        self.fields["publication"].choices = empty + [
            (p.pk, p.title or _doc_label(p.document)) for p in publication_choices(actor)
        ]
        for name in ("incoming", "outgoing", "publication"):
            self.fields[name].error_messages.update(unknown)
        self.fields["confidentiality"].choices = _cleared_levels(actor)
        self.fields["drafter"].queryset = people_for(actor)

    def clean(self):
        data = super().clean()
        source = data.get("source")
        if source in ("incoming", "outgoing", "publication") and not data.get(source):
            self.add_error(source, _("Choose the document."))
        return data


class AgendaDocumentEditForm(forms.Form):
    title = forms.CharField(label=_("Title in the packet"), max_length=500)
    is_draft = forms.BooleanField(label=_("Draft under consultation (delegates may comment)"), required=False)
    comments_until = _datetime(_("Comments accepted until"))
    upload = forms.FileField(label=_("New version (PDF)"), required=False)


class DraftCommentForm(forms.Form):
    text = forms.CharField(label=_("Your comment"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    page = forms.IntegerField(
        label=_("Page"),
        required=False,
        min_value=1,
        error_messages={
            "min_value": _("Enter a page number of the draft."),
            "invalid": _("Enter a page number of the draft."),
        },
    )


class ScheduleEntryForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=None, error_messages={"invalid_choice": _("Unknown organization.")}
    )
    title = forms.CharField(label=_("What"), max_length=300)
    starts_at = _datetime(_("Starts at"), required=True)
    ends_at = _datetime(_("Ends at"))
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    host = forms.CharField(label=_("In charge"), max_length=200, required=False)
    participants = forms.CharField(label=_("Taking part"), max_length=500, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    published = forms.BooleanField(label=_("Published to members"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.organizations_for_meetings(actor)
