# ruff: noqa: F811 - pytest fixtures imported from outgoing_support
"""Who sees and who does what with outgoing documents: one visibility matrix checked through the selector, the
predicate, the page, the API and the file download; one action matrix (each role × each action → allowed, or
404 for whoever may not see the document, or a refusal for whoever sees it but is not the person who acts)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from documents import permissions, selectors
from documents.models import Confidentiality, OutgoingDocument
from documents.services import outgoing as services
from partyhub.files import can_download

from .outgoing_support import clear, draft, flow, private_dir  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

ROLES = ("drafter", "leader", "deputy", "clerk", "cell_secretary", "member", "outsider", "other_clerk", "admin")

#: Which documents each role sees: "standing" (ordinary, of the standing committee), "cell" (of cell A),
#: "secret" (Mật, of the standing committee; drafter, leader and clerk are cleared for it, nobody else).
VISIBLE = {
    "drafter": {"standing", "cell", "secret"},
    "leader": {"standing", "cell", "secret"},
    "deputy": {"standing", "cell"},
    "clerk": {"standing", "cell", "secret"},
    "cell_secretary": {"cell"},
    "member": set(),
    "outsider": set(),
    "other_clerk": set(),
    "admin": {"standing", "cell"},
}


@pytest.fixture
def docs(flow):
    for user in (flow.drafter, flow.leader, flow.clerk):
        clear(user, Confidentiality.SECRET)
    standing = draft(flow)
    standing = services.outgoing_submit(actor=flow.drafter, document=standing)
    standing = services.outgoing_approve(actor=flow.leader, document=standing)  # has a final PDF
    cell = draft(flow, actor=flow.cell_secretary, organization=flow.cell, signer=flow.cell_secretary, recipients=[])
    secret = draft(flow, confidentiality=Confidentiality.SECRET, body="", summary="Về công tác bảo vệ nội bộ")
    return {"standing": standing, "cell": cell, "secret": secret}


@pytest.mark.parametrize("who", ROLES)
def test_visibility_matrix(flow, docs, who, client):
    user = getattr(flow, who)
    visible = set(selectors.outgoing_visible_to(user).values_list("pk", flat=True))
    client.force_login(user)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(user)
    listed = {row["id"] for row in api.get("/api/v1/outgoing-documents/").json()["results"]}
    for key, document in docs.items():
        expected = key in VISIBLE[who]
        assert (document.pk in visible) is expected, f"{who} / {key}: selector"
        assert (document.pk in listed) is expected, f"{who} / {key}: API list"
        assert permissions.can_view_outgoing(user, document) is expected, f"{who} / {key}: predicate"
        page = client.get(reverse("documents:outgoing_detail", args=[document.pk]))
        assert page.status_code == (200 if expected else 404), f"{who} / {key}: page"
        answer = api.get(f"/api/v1/outgoing-documents/{document.pk}/")
        assert answer.status_code == (200 if expected else 404), f"{who} / {key}: API detail"
        if not expected:
            with pytest.raises(Exception) as raised:
                selectors.get_outgoing_or_404(user, document.pk)
            assert raised.type.__name__ == "Http404"
    # The final PDF follows the document (through the one download URL); versions' files too.
    final = docs["standing"].final_file
    may = "standing" in VISIBLE[who]
    assert can_download(user, final) is may, f"{who}: final PDF"
    assert client.get(reverse("files:download", args=[final.pk])).status_code == (200 if may else 404)


def test_a_drafter_who_left_the_office_still_sees_their_draft_but_cannot_change_it(flow, docs):
    from members.models import Position
    from members.selectors import forget_access

    document = draft(flow)
    Position.objects.filter(member__user=flow.drafter).update(end_date="2025-12-31")
    forget_access(flow.drafter)
    selectors.forget_outgoing_access(flow.drafter)
    assert permissions.can_view_outgoing(flow.drafter, document)
    assert not permissions.can_edit_outgoing(flow.drafter, document)
    assert not selectors.outgoing_visible_to(flow.drafter).filter(pk=docs["cell"].pk).exists()  # not theirs


#: For each action, the state the document is put in, and who may do it there.
ALLOWED = {
    "edit": ("draft", {"drafter"}),
    "submit": ("draft", {"drafter"}),
    "review": ("submitted", {"leader"}),
    "sign": ("approved", {"leader"}),
    "issue": ("signed", {"clerk"}),
    "void": ("draft", {"drafter", "leader", "clerk"}),
    "recall": ("issued", {"leader", "clerk"}),
    "correct": ("issued", {"drafter", "leader", "deputy", "clerk"}),
}
PREDICATES = {
    "edit": permissions.can_edit_outgoing,
    "submit": permissions.can_submit,
    "review": permissions.can_review,
    "sign": permissions.can_sign,
    "issue": permissions.can_issue,
    "void": permissions.can_void_outgoing,
    "recall": permissions.can_recall,
    "correct": permissions.can_correct,
}
URLS = {
    "submit": "documents:outgoing_submit",
    "review": "documents:outgoing_approve",
    "sign": "documents:outgoing_sign",
    "issue": "documents:outgoing_issue",
    "void": "documents:outgoing_void",
    "recall": "documents:outgoing_recall",
    "correct": "documents:outgoing_correct",
}


def _in_state(flow, state):
    document = draft(flow)
    if state == "draft":
        return document
    document.status = state  # the predicates read the state; the files are not needed for this matrix
    document.save(update_fields=["status"])
    return document


@pytest.mark.parametrize("action", list(ALLOWED))
def test_action_matrix(flow, action, client):
    state, allowed = ALLOWED[action]
    document = _in_state(flow, state)
    for who in ROLES:
        user = getattr(flow, who)
        expected = who in allowed
        assert PREDICATES[action](user, document) is expected, f"{action} / {who}"
        # Every other state refuses the action, whoever asks.
    for other in ("draft", "submitted", "returned", "approved", "signed", "issued", "recalled", "void"):
        if other == state or (action in ("edit", "submit", "void") and other == "returned"):
            continue
        if action == "void" and other in ("submitted", "approved", "signed"):
            continue
        if action == "correct" and other == "recalled":
            continue
        document.status = other
        for who in allowed:
            assert not PREDICATES[action](getattr(flow, who), document), f"{action} / {who} in {other}"
    document.status = state
    if action not in URLS:
        return
    for who in ROLES:
        user = getattr(flow, who)
        client.force_login(user)
        before = OutgoingDocument.objects.get(pk=document.pk).status
        response = client.post(reverse(URLS[action], args=[document.pk]), {"void-reason": "x", "recall-reason": "x"})
        if not permissions.can_view_outgoing(user, document):
            assert response.status_code == 404, f"{action} / {who}: page"
        elif who not in allowed:
            assert response.status_code == 302, f"{action} / {who}: page"
            assert OutgoingDocument.objects.get(pk=document.pk).status == before
