"""Who may do what with incoming documents: predicates over the facts of ``documents.selectors``.

Deny by default: every predicate answers ``False`` for anonymous and inactive users. Each predicate that takes
a document first asks :func:`can_view_incoming` — a user who may not see a document may do nothing with it
(views answer 404). Services call these too, so a rule is enforced even when a view forgets.
"""

from __future__ import annotations

import datetime

from members.models import Organization

from .models import (
    Assignment,
    AssignmentRole,
    Confidentiality,
    IncomingDocument,
    IncomingStatus,
)
from .selectors import LEVEL_ORDER, clearance_levels, document_access_for


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def cleared_for(user, level: str, on: datetime.date | None = None) -> bool:
    """Whether ``user`` holds a valid clearance for classification ``level`` (``""`` — not classified —
    needs none). Admins need a clearance like everybody else."""
    if not _authenticated(user):
        return False
    if not level:
        return True
    if level not in LEVEL_ORDER:
        return False
    levels = clearance_levels(user, on) if on is not None else document_access_for(user).cleared_levels
    return level in levels


def _current_assignment(user, doc: IncomingDocument) -> Assignment | None:
    return (
        Assignment.objects.filter(directive__document_id=doc.pk, directive__superseded_at__isnull=True, user_id=user.pk)
        .only("id", "role", "status", "directive_id")
        .first()
    )


def current_assignment(user, doc: IncomingDocument) -> Assignment | None:
    """The assignment of ``user`` in the current directive of ``doc`` (or ``None``)."""
    if not _authenticated(user) or doc is None or doc.pk is None:
        return None
    return _current_assignment(user, doc)


def can_view_incoming(user, doc: IncomingDocument) -> bool:
    """The access rule of ``documents.selectors`` for one document."""
    if not _authenticated(user) or doc is None:
        return False
    if not cleared_for(user, doc.confidentiality):
        return False
    facts = document_access_for(user)
    if facts.is_admin:
        return True
    if doc.organization_id in facts.office_org_ids or doc.organization_id in facts.cell_org_ids:
        return True
    return doc.pk is not None and _current_assignment(user, doc) is not None


def can_receive(user, organization: Organization) -> bool:
    """Receive (upload, e-mail intake) documents for ``organization``: clerks of its commune, the secretary
    of a cell for their cell, admins."""
    if not _authenticated(user) or organization is None:
        return False
    facts = document_access_for(user)
    return facts.is_admin or organization.pk in facts.receiving_org_ids


def can_register(user, doc: IncomingDocument) -> bool:
    """Complete the metadata of a draft and register it (or discard the draft): a receiver of its
    organization who may see it. The level chosen at registration is checked by the service with
    :func:`cleared_for`."""
    return (
        doc is not None
        and doc.status == IncomingStatus.DRAFT
        and can_view_incoming(user, doc)
        and can_receive(user, doc.organization)
    )


def can_void(user, doc: IncomingDocument) -> bool:
    """Void a registered entry (never delete it): a receiver of its organization."""
    return (
        doc is not None
        and doc.status != IncomingStatus.VOID
        and doc.status != IncomingStatus.DRAFT
        and can_view_incoming(user, doc)
        and can_receive(user, doc.organization)
    )


def can_direct(user, doc: IncomingDocument) -> bool:
    """Give (or replace) the directive: leaders of the receiving organization's commune, the secretary of
    the receiving cell. Only registered documents, or ones being handled."""
    if doc is None or doc.status not in (IncomingStatus.REGISTERED, IncomingStatus.IN_PROGRESS):
        return False
    if not can_view_incoming(user, doc):
        return False
    return doc.organization_id in document_access_for(user).directing_org_ids


def can_handle(user, doc: IncomingDocument) -> bool:
    """Record progress, attach working files and mark one's part done: the lead and co-operating handlers
    of the current directive while the document is being handled (not those named for information)."""
    if doc is None or doc.status != IncomingStatus.IN_PROGRESS or not can_view_incoming(user, doc):
        return False
    assignment = _current_assignment(user, doc)
    return assignment is not None and assignment.role in (AssignmentRole.LEAD, AssignmentRole.COOPERATE)


def can_close(user, doc: IncomingDocument) -> bool:
    """Close the document as handled: the lead handler of the current directive."""
    if doc is None or doc.status != IncomingStatus.IN_PROGRESS or not can_view_incoming(user, doc):
        return False
    assignment = _current_assignment(user, doc)
    return assignment is not None and assignment.role == AssignmentRole.LEAD


def files_allowed(level: str) -> bool:
    """Whether a document of classification ``level`` may keep files at all (domain.md §3): ordinary ones
    yes; "Mật" only when the deployment sets ``PARTYHUB_ALLOW_SECRET_FILES``; higher levels never."""
    from django.conf import settings

    if not level:
        return True
    return level == Confidentiality.SECRET and bool(getattr(settings, "PARTYHUB_ALLOW_SECRET_FILES", False))


def can_download_files(user, doc: IncomingDocument) -> bool:
    """Download a file of ``doc``: whoever may see the document, if its level allows files at all."""
    return doc is not None and files_allowed(doc.confidentiality) and can_view_incoming(user, doc)


def incoming_file_access(user, stored_file) -> bool | None:
    """``partyhub.files`` access check (registered in ``DocumentsConfig.ready``).

    A file of an incoming document (original, derived copy, a handler's working file) is downloadable by
    whoever may see the document, and only if the document's classification allows files at all. Anything
    else is vetoed — even for the uploader or a superuser (``False`` wins in ``partyhub.files.can_download``).
    Files that belong to no incoming document are not our business (``None``)."""
    from .models import DocumentFile

    document_file = DocumentFile.objects.select_related("incoming").filter(stored_file_id=stored_file.pk).first()
    if document_file is None:
        return None
    return can_download_files(user, document_file.incoming)


# =====================================================================================================
# Outgoing documents
# =====================================================================================================
# Predicates over ``documents.selectors.outgoing_access_for``. Each one that takes a document first asks
# :func:`can_view_outgoing`; each names the one person (or the office role) who may act, in the one state the
# action starts from. ``documents.services.outgoing`` asks the same predicates and explains a refusal.

#: States before issue: a document may still be edited (some of them), reviewed, signed or voided.
OUTGOING_EDITABLE_STATES = ("draft", "returned")
OUTGOING_VOIDABLE_STATES = ("draft", "submitted", "returned", "approved", "signed")


def _outgoing_facts(user):
    from .selectors import outgoing_access_for

    return outgoing_access_for(user)


def can_view_outgoing(user, doc) -> bool:
    """The access rule of ``documents.selectors.outgoing_visible_to`` for one document."""
    if not _authenticated(user) or doc is None:
        return False
    if not cleared_for(user, doc.confidentiality):
        return False
    facts = _outgoing_facts(user)
    if facts.is_admin or doc.organization_id in facts.office_org_ids:
        return True
    return user.pk in (doc.drafted_by_id, doc.reviewer_id, doc.signer_id)


def can_draft(user, organization: Organization) -> bool:
    """Draft outgoing documents of ``organization``: the office of its commune (clerks, leaders, handlers), a
    cell secretary for their cell. External organizations issue nothing here."""
    if not _authenticated(user) or organization is None or organization.is_external or not organization.active:
        return False
    return organization.pk in _outgoing_facts(user).office_org_ids


def can_edit_outgoing(user, doc) -> bool:
    """Change a draft (fields, file, recipients): its drafter, while it is a draft or was returned, and while
    they may still draft for its organization."""
    return (
        doc is not None
        and doc.status in OUTGOING_EDITABLE_STATES
        and can_view_outgoing(user, doc)
        and doc.drafted_by_id == user.pk
        and can_draft(user, doc.organization)
    )


def can_submit(user, doc) -> bool:
    """Submit the draft for review: its drafter (the same as editing it)."""
    return can_edit_outgoing(user, doc)


def outgoing_reviewer_id(doc) -> int | None:
    """Who reviews ``doc``: its designated reviewer, else its signer."""
    return doc.reviewer_id or doc.signer_id


def can_review(user, doc) -> bool:
    """Return or approve a submitted document: only its designated reviewer (the signer when none is named)."""
    return (
        doc is not None
        and doc.status == "submitted"
        and can_view_outgoing(user, doc)
        and outgoing_reviewer_id(doc) == user.pk
    )


def can_sign(user, doc) -> bool:
    """Sign the approved text: only its designated signer."""
    return doc is not None and doc.status == "approved" and can_view_outgoing(user, doc) and doc.signer_id == user.pk


def can_issue_for(user, organization: Organization) -> bool:
    """Number and issue the documents of ``organization``: its commune's clerks, a cell secretary for their
    cell."""
    if not _authenticated(user) or organization is None:
        return False
    return organization.pk in _outgoing_facts(user).issuing_org_ids


def can_issue(user, doc) -> bool:
    """Number, seal and issue a document its signer has signed: the clerk of the issuing organization."""
    return (
        doc is not None
        and doc.status == "signed"
        and can_view_outgoing(user, doc)
        and can_issue_for(user, doc.organization)
    )


def can_void_outgoing(user, doc) -> bool:
    """Void a document before it is issued (it never had a number): its drafter, its reviewer or signer, or the
    clerk of the issuing organization."""
    if doc is None or doc.status not in OUTGOING_VOIDABLE_STATES or not can_view_outgoing(user, doc):
        return False
    if user.pk in (doc.drafted_by_id, outgoing_reviewer_id(doc), doc.signer_id):
        return True
    return can_issue_for(user, doc.organization)


def can_recall(user, doc) -> bool:
    """Recall an issued document: the clerk of the issuing organization or its signer."""
    if doc is None or doc.status != "issued" or not can_view_outgoing(user, doc):
        return False
    return doc.signer_id == user.pk or can_issue_for(user, doc.organization)


def can_correct(user, doc) -> bool:
    """Start a correcting document (a new draft replacing an issued or recalled one): whoever may draft for
    the issuing organization."""
    return (
        doc is not None
        and doc.status in ("issued", "recalled")
        and can_view_outgoing(user, doc)
        and can_draft(user, doc.organization)
    )


def outgoing_file_access(user, stored_file) -> bool | None:
    """``partyhub.files`` access check for the files of outgoing documents (registered in
    ``DocumentsConfig.ready``): the final PDF, the signer's signed copy, the issued file, and the files of each
    draft version (uploaded file and PDF rendition).

    * whoever may see the document may download them, if its classification allows files at all;
    * working files (versions, final, signed) are vetoed for everybody else — the uploader and superusers too;
    * the ISSUED file abstains (``None``) for those who may not see the document: recipients reach it through
      their own incoming copy and readers through the library, whose checks grant it."""
    from django.db.models import Q

    from .models import OutgoingDocument, OutgoingVersion

    document = (
        OutgoingDocument.objects.filter(
            Q(final_file_id=stored_file.pk) | Q(signed_file_id=stored_file.pk) | Q(issued_file_id=stored_file.pk)
        )
        .only(
            "id",
            "organization_id",
            "confidentiality",
            "drafted_by_id",
            "reviewer_id",
            "signer_id",
            "final_file_id",
            "signed_file_id",
            "issued_file_id",
        )
        .first()
    )
    issued = document is not None and document.issued_file_id == stored_file.pk
    if document is None:
        version = (
            OutgoingVersion.objects.filter(Q(uploaded_file_id=stored_file.pk) | Q(rendition_id=stored_file.pk))
            .select_related("document")
            .first()
        )
        if version is None:
            return None
        document = version.document
    if not files_allowed(document.confidentiality):
        return False
    if can_view_outgoing(user, document):
        return True
    return None if issued else False
