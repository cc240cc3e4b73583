"""Votes in the room (issue 6, point 5; domain.md §5 "Voting").

* ``vote_create`` (chair): a question on an agenda item, open or secret, with the rule in force on the day of
  the meeting (``VoteRule`` data: "majority" = more than half of the official members counted in the
  denominator; "two_thirds" = at least two thirds of all official members — admission, recognition as official,
  proposing expulsion). Discipline is decided by secret ballot.
* ``vote_open`` / ``vote_close`` (chair). One vote is open at a time in a meeting; a vote opens only when the
  quorum is reached. At close the counts (tablet ballots + paper ballots) and the denominator of the rule's
  base are fixed on the ``Vote``, with ``passed``; ``result_text`` shows "x/y tán thành (z%)".
* ``ballot_cast`` (each delegate who may vote and is present, once): the vote row is locked, so concurrent
  submissions of the same delegate are serialized and exactly one is counted; the unique constraints
  (``ballot_once``/``receipt_once``) are the last guard.
* ``paper_ballots_add`` (secretary): counts of paper ballots collected in the room are added.

Secret votes keep NOTHING that links a voter to a choice: the ``BallotReceipt`` says only that the delegate has
voted, the ``SecretTally`` rows only how many chose each answer. They are written in one transaction with the
automatic field audit switched off (``partyhub.audit.suppressed``); the explicit audit entry says "ballot cast
in vote N" about the VOTE, without the choice. The three tally rows of the vote are all rewritten by each
ballot (the others by +0), so even the database's row versions do not tell which count moved. While a secret
vote is open nobody sees the counts (only how many have voted): watching the counts change would link them to
the receipts. Nothing is logged.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, Value, When
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from partyhub import audit
from partyhub.models.audit import AuditAction

from ..models import (
    AgendaItem,
    Attendance,
    Ballot,
    BallotReceipt,
    Invitation,
    Meeting,
    MeetingStatus,
    SecretTally,
    Vote,
    VoteChoice,
    VoteKind,
    VoteRule,
    VoteStatus,
)
from .room import attendance_summary, fraction_met, meeting_day, member_of, rule_in_force

__all__ = [
    "RULE_CODES",
    "ballot_cast",
    "has_voted",
    "paper_ballots_add",
    "result_text",
    "vote_close",
    "vote_create",
    "vote_delete",
    "vote_open",
    "voted_count",
    "votes_of",
]

#: Rules a chair may pick (codes of ``VoteRule`` data).
RULE_CODES = ("majority", "two_thirds")
MAX_QUESTION_CHARS = 500
MAX_PAPER_BALLOTS = 10000


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _locked_vote(vote: Vote) -> Vote:
    return Vote.objects.select_for_update(of=("self",)).select_related("meeting", "rule").get(pk=vote.pk)


# --- creating, opening, closing ---------------------------------------------------------------------------------


@transaction.atomic
def vote_create(
    *,
    actor,
    meeting: Meeting,
    question: str,
    kind: str = VoteKind.OPEN,
    rule_code: str = "majority",
    item: AgendaItem | None = None,
) -> Vote:
    from ..permissions import can_chair

    _require(can_chair(actor, meeting))
    errors = {}
    question = (question or "").strip()
    if not question:
        errors["question"] = _("Write the question put to the vote.")
    elif len(question) > MAX_QUESTION_CHARS:
        errors["question"] = _("Keep the question under 500 characters.")
    if kind not in VoteKind.values:
        errors["kind"] = _("Choose an open vote or a secret ballot.")
    rule = None
    if rule_code not in RULE_CODES:
        errors["rule"] = _("Choose the rule of the vote.")
    else:
        rule = rule_in_force(rule_code, meeting_day(meeting))
        if rule is None:
            errors["rule"] = _("No version of this rule is in force on the day of the meeting.")
    if item is not None and item.meeting_id != meeting.pk:
        errors["item"] = _("This agenda item belongs to another meeting.")
    if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED):
        errors.setdefault("__all__", _("Votes cannot be added to a closed or cancelled meeting."))
    if errors:
        raise ValidationError(errors)
    vote = Vote.objects.create(meeting=meeting, item=item, question=question, kind=kind, rule=rule)
    if kind == VoteKind.SECRET:
        with audit.suppressed():
            SecretTally.objects.bulk_create([SecretTally(vote=vote, choice=c, count=0) for c in VoteChoice.values])
    return vote


@transaction.atomic
def vote_delete(*, actor, vote: Vote) -> None:
    """Remove a vote that was never opened (a mistake of the chair)."""
    from ..permissions import can_chair

    _require(can_chair(actor, vote.meeting))
    vote = _locked_vote(vote)
    if vote.status != VoteStatus.DRAFT:
        raise ValidationError(_("Only a vote that has not been opened can be removed."))
    with audit.suppressed():
        SecretTally.objects.filter(vote=vote).delete()
    vote.delete()


@transaction.atomic
def vote_open(*, actor, vote: Vote) -> Vote:
    from ..permissions import can_chair

    _require(can_chair(actor, vote.meeting))
    # Lock the meeting first: two votes opened at the same moment must not both pass the "one open vote" test.
    meeting = Meeting.objects.select_for_update().get(pk=vote.meeting_id)
    vote = _locked_vote(vote)
    if vote.status != VoteStatus.DRAFT:
        raise ValidationError(_("This vote has already been opened."))
    if meeting.status != MeetingStatus.IN_PROGRESS:
        raise ValidationError(_("Open the meeting before opening a vote."))
    if meeting.votes.filter(status=VoteStatus.OPEN).exclude(pk=vote.pk).exists():
        raise ValidationError(_("Another vote is open: close it first."))
    summary = attendance_summary(meeting)
    if not summary.quorum_reached:
        raise ValidationError(
            _("The quorum is not reached: %(present)s of %(base)s counted members are present, %(needed)s needed.")
            % {"present": summary.counted_present, "base": summary.denominator, "needed": summary.quorum_needed}
        )
    vote.status = VoteStatus.OPEN
    vote.opened_at = timezone.now()
    vote.opened_by = actor
    vote.save(update_fields=["status", "opened_at", "opened_by"])
    return vote


def _counts(vote: Vote) -> dict[str, int]:
    """Tablet ballots by answer (without the paper ones)."""
    counts = dict.fromkeys(VoteChoice.values, 0)
    if vote.kind == VoteKind.SECRET:
        for choice, count in SecretTally.objects.filter(vote=vote).values_list("choice", "count"):
            counts[choice] = count
    else:
        for row in Ballot.objects.filter(vote=vote).values("choice").annotate(n=Count("id")):
            counts[row["choice"]] = row["n"]
    return counts


def _official_invitations(meeting: Meeting) -> int:
    """Every delegate of the meeting who is an official member (the base of "two thirds of official members")."""
    from members.models import MemberStatus

    from ..models import InviteeKind

    total = 0
    for inv in meeting.invitations.filter(kind=InviteeKind.DELEGATE).select_related("member", "user__member"):
        member = member_of(inv)
        if member is not None and member.status == MemberStatus.OFFICIAL:
            total += 1
    return total


def vote_base(vote: Vote, *, cast: int) -> int:
    """The denominator of the vote's rule now."""
    base = vote.rule.base
    if base == VoteRule.Base.VOTES_CAST:
        return cast
    if base == VoteRule.Base.OFFICIAL:
        return _official_invitations(vote.meeting)
    return attendance_summary(vote.meeting).denominator


@transaction.atomic
def vote_close(*, actor, vote: Vote) -> Vote:
    from ..permissions import can_chair

    _require(can_chair(actor, vote.meeting))
    vote = _locked_vote(vote)
    if vote.status != VoteStatus.OPEN:
        raise ValidationError(_("Only an open vote can be closed."))
    counts = _counts(vote)
    agree = counts[VoteChoice.AGREE] + vote.paper_agree
    disagree = counts[VoteChoice.DISAGREE] + vote.paper_disagree
    abstain = counts[VoteChoice.ABSTAIN] + vote.paper_abstain
    base = vote_base(vote, cast=agree + disagree + abstain)
    rule = vote.rule
    vote.agree_count = agree
    vote.disagree_count = disagree
    vote.abstain_count = abstain
    vote.base_count = base
    vote.passed = fraction_met(
        agree, base, numerator=rule.numerator, denominator=rule.denominator, strictly_more=rule.strictly_more
    )
    vote.status = VoteStatus.CLOSED
    vote.closed_at = timezone.now()
    vote.save(
        update_fields=[
            "agree_count",
            "disagree_count",
            "abstain_count",
            "base_count",
            "passed",
            "status",
            "closed_at",
        ]
    )
    return vote


# --- ballots ----------------------------------------------------------------------------------------------------


def has_voted(vote: Vote, invitation: Invitation | None) -> bool:
    if invitation is None:
        return False
    model = BallotReceipt if vote.kind == VoteKind.SECRET else Ballot
    return model.objects.filter(vote=vote, invitation=invitation).exists()


def votes_of(meeting: Meeting):
    """The meeting's votes in order, each with ``voted`` (how many delegates have voted on a tablet — never
    how) computed in the same query."""
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    def counted(model):
        rows = model.objects.filter(vote=OuterRef("pk")).order_by().values("vote").annotate(n=Count("id")).values("n")
        return Coalesce(Subquery(rows, output_field=IntegerField()), 0)

    votes = list(
        meeting.votes.select_related("rule", "item")
        .annotate(n_receipts=counted(BallotReceipt), n_ballots=counted(Ballot))
        .order_by("created_at", "id")
    )
    for vote in votes:
        vote.voted = vote.n_receipts if vote.kind == VoteKind.SECRET else vote.n_ballots
    return votes


def voted_count(vote: Vote) -> int:
    """How many delegates have voted on a tablet (never how)."""
    model = BallotReceipt if vote.kind == VoteKind.SECRET else Ballot
    return model.objects.filter(vote=vote).count()


def _not_allowed_message(invitation: Invitation):
    from members.models import MemberStatus

    member = member_of(invitation)
    if member is not None and member.status == MemberStatus.PROBATIONARY:
        return _(
            "Probationary members do not vote: only official members vote (Party Statute, article 3). "
            "You may still take part in the discussion."
        )
    return _("You do not have a vote in this meeting: only official members vote.")


def _already_voted():
    return ValidationError(_("You have already voted. Each delegate answers only once."), code="already_voted")


def ballot_cast(*, actor, vote: Vote, choice: str) -> None:
    """Record the actor's answer, once. Returns nothing: for a secret vote the caller learns only that it was
    recorded."""
    from ..permissions import invitation_for

    invitation = invitation_for(actor, vote.meeting)
    _require(invitation is not None)
    if choice not in VoteChoice.values:
        raise ValidationError({"choice": _("Choose agree, disagree or abstain.")})
    try:
        _cast(actor=actor, vote=vote, invitation=invitation, choice=choice)
    except IntegrityError:
        # Only reachable if the row lock was bypassed (another writer): the unique constraint refused a second one.
        raise _already_voted() from None


@transaction.atomic
def _cast(*, actor, vote: Vote, invitation: Invitation, choice: str) -> None:
    vote = _locked_vote(vote)  # serializes every ballot of this vote, and the close
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if vote.status != VoteStatus.OPEN:
        raise ValidationError(_("This vote is not open."), code="not_open")
    if not invitation.may_vote:
        raise ValidationError(_not_allowed_message(invitation), code="no_vote")
    if invitation.attendance != Attendance.PRESENT:
        raise ValidationError(_("Check in first: only delegates present in the room vote."), code="not_present")
    if vote.kind == VoteKind.SECRET:
        if BallotReceipt.objects.filter(vote=vote, invitation=invitation).exists():
            raise _already_voted()
        with audit.suppressed():
            BallotReceipt.objects.create(vote=vote, invitation=invitation)
            # Every tally row of the vote is rewritten (+1 for the choice, +0 for the others).
            SecretTally.objects.filter(vote=vote).update(
                count=F("count") + Case(When(choice=choice, then=Value(1)), default=Value(0))
            )
        audit.record(
            action=AuditAction.OTHER,
            obj=vote,
            actor=actor,
            changes={"event": "secret ballot cast"},
        )
    else:
        if Ballot.objects.filter(vote=vote, invitation=invitation).exists():
            raise _already_voted()
        Ballot.objects.create(vote=vote, invitation=invitation, choice=choice)


@transaction.atomic
def paper_ballots_add(*, actor, vote: Vote, agree: int = 0, disagree: int = 0, abstain: int = 0) -> Vote:
    """Add the counts of paper ballots collected in the room (the secretary, while the vote is open)."""
    from .room import can_run_room

    _require(can_run_room(actor, vote.meeting))
    values = {"agree": agree, "disagree": disagree, "abstain": abstain}
    errors = {}
    for key, value in values.items():
        try:
            number = int(value or 0)
        except (TypeError, ValueError):
            errors[key] = _("Enter a whole number.")
            continue
        if number < 0 or number > MAX_PAPER_BALLOTS:
            errors[key] = _("Enter a number between 0 and 10000.")
        values[key] = number
    if errors:
        raise ValidationError(errors)
    if not any(values.values()):
        raise ValidationError(_("Enter at least one paper ballot."))
    vote = _locked_vote(vote)
    if vote.status != VoteStatus.OPEN:
        raise ValidationError(_("Paper ballots are added while the vote is open."))
    summary = attendance_summary(vote.meeting)
    counted = voted_count(vote) + vote.paper_agree + vote.paper_disagree + vote.paper_abstain
    if counted + sum(values.values()) > summary.voters_present:
        raise ValidationError(
            _(
                "Too many ballots: %(counted)s already counted, %(voters)s delegates with a vote are present. "
                "Check the paper count."
            )
            % {"counted": counted, "voters": summary.voters_present}
        )
    Vote.objects.filter(pk=vote.pk).update(
        paper_agree=F("paper_agree") + values["agree"],
        paper_disagree=F("paper_disagree") + values["disagree"],
        paper_abstain=F("paper_abstain") + values["abstain"],
    )
    audit.record(action=AuditAction.UPDATE, obj=vote, actor=actor, changes={"paper ballots added": values})
    vote.refresh_from_db()
    return vote


# --- the result -------------------------------------------------------------------------------------------------


def result_percent(vote: Vote) -> str:
    """The share in favour with one decimal, in the current language's number format (66,7 / 66.7)."""
    if not vote.base_count:
        return formats.number_format(Decimal("0.0"), decimal_pos=1)
    share = (Decimal(vote.agree_count * 100) / Decimal(vote.base_count)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return formats.number_format(share, decimal_pos=1)


def result_text(vote: Vote) -> str:
    """ "x/y tán thành (z%)" (in English "x/y in favour (z%)"), or "" while the vote is not closed."""
    if vote.status != VoteStatus.CLOSED or vote.agree_count is None:
        return ""
    return _("%(agree)s/%(base)s in favour (%(percent)s%%)") % {
        "agree": vote.agree_count,
        "base": vote.base_count,
        "percent": result_percent(vote),
    }
