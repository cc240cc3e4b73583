"""The access rule of incoming documents, as one matrix checked three ways: the selector (lists), the
permission predicate (one document) and the file download hook (``partyhub.files.can_download`` and the
``files:download`` URL). Plus the rules around it: clearances, cells, superseded directives, the write
predicates, and classified documents keeping no files."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from documents import permissions, selectors
from documents.models import (
    Confidentiality,
    DocumentFile,
    FileRole,
    IncomingStatus,
)
from partyhub.files import can_download, store_bytes
from tests.factories import MemberFactory, PositionFactory, PositionTitleFactory, UserFactory

from .factories import ClearanceFactory, IncomingDocumentFactory, give_directive

pytestmark = pytest.mark.django_db

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

ORDINARY, SECRET, TOP_SECRET = "ordinary", "mat", "toi_mat"
LEVELS = {ORDINARY: Confidentiality.NORMAL, SECRET: Confidentiality.SECRET, TOP_SECRET: Confidentiality.TOP_SECRET}

# Who sees what. Clearances given in the ``world`` fixture: clerk and leader up to Tối mật, the lead handler
# up to Mật, nobody else (the admin included).
EXPECTED = {
    "clerk": {ORDINARY, SECRET, TOP_SECRET},
    "leader": {ORDINARY, SECRET, TOP_SECRET},
    "lead_handler": {ORDINARY, SECRET},
    "co_handler": {ORDINARY},
    "informed": {ORDINARY},
    "unassigned_handler": set(),
    "cell_secretary": set(),
    "member": set(),
    "outsider": set(),
    "admin": {ORDINARY},
}


def _holder(username, organization, title, position_org, **flags):
    user = UserFactory(username=username)
    member = MemberFactory(full_name=user.full_name, organization=organization, user=user)
    PositionFactory(
        member=member,
        organization=position_org,
        title=PositionTitleFactory(name=title, **flags),
        start_date=datetime.date(2025, 9, 1),
    )
    return user


@pytest.fixture
def world(org_tree, clerk, leader, handler, cell_secretary, member_user, outsider, admin_user):
    office = org_tree["office"]
    co_handler = _holder("cohandler", org_tree["cell_b"], "Chuyên viên 2", office, grants_handler=True)
    informed = _holder("informed", org_tree["cell_b"], "Chuyên viên 3", office, grants_handler=True)
    unassigned = _holder("idle", org_tree["cell_b"], "Chuyên viên 4", office, grants_handler=True)
    ClearanceFactory(user=clerk, level=Confidentiality.TOP_SECRET, granted_by=admin_user)
    ClearanceFactory(user=leader, level=Confidentiality.TOP_SECRET, granted_by=admin_user)
    ClearanceFactory(user=handler, level=Confidentiality.SECRET, granted_by=admin_user)
    docs = {}
    for key, level in LEVELS.items():
        doc = IncomingDocumentFactory(
            organization=office, status=IncomingStatus.IN_PROGRESS, confidentiality=level, created_by=clerk
        )
        give_directive(doc, by=leader, lead=handler, cooperating=[co_handler], informed=[informed])
        docs[key] = doc
    users = {
        "clerk": clerk,
        "leader": leader,
        "lead_handler": handler,
        "co_handler": co_handler,
        "informed": informed,
        "unassigned_handler": unassigned,
        "cell_secretary": cell_secretary,
        "member": member_user,
        "outsider": outsider,
        "admin": admin_user,
    }
    return {"users": users, "docs": docs, "org_tree": org_tree}


def _attach_file(doc, actor):
    stored = store_bytes(PDF, name="van-ban.pdf", content_type="application/pdf", actor=actor)
    DocumentFile.objects.create(incoming=doc, stored_file=stored, role=FileRole.ORIGINAL, added_by=actor)
    return stored


@pytest.mark.parametrize("who", list(EXPECTED))
def test_matrix_selector_and_predicate(world, who):
    user = world["users"][who]
    visible = set(selectors.incoming_visible_to(user).values_list("pk", flat=True))
    for key, doc in world["docs"].items():
        expected = key in EXPECTED[who]
        assert (doc.pk in visible) is expected, f"{who} / {key}: selector"
        assert permissions.can_view_incoming(user, doc) is expected, f"{who} / {key}: predicate"
        if expected:
            assert selectors.get_incoming_or_404(user, doc.pk) == doc
        else:
            with pytest.raises(Exception) as raised:
                selectors.get_incoming_or_404(user, doc.pk)
            assert raised.type.__name__ == "Http404"


@pytest.mark.parametrize("who", list(EXPECTED))
def test_matrix_download_hook(world, who, settings):
    """Ordinary documents: files follow the document. "Mật" with files allowed by the deployment: the same.
    Tối mật: never a file, not even for those cleared for it (a file put there by hand is refused)."""
    settings.PARTYHUB_ALLOW_SECRET_FILES = True
    user = world["users"][who]
    clerk = world["users"]["clerk"]
    files = {key: _attach_file(doc, clerk) for key, doc in world["docs"].items()}
    for key, stored in files.items():
        expected = key in EXPECTED[who] and key != TOP_SECRET
        assert can_download(user, stored) is expected, f"{who} / {key}"


def test_secret_files_refused_by_default_even_for_uploader_and_admin(world, settings, client):
    settings.PARTYHUB_ALLOW_SECRET_FILES = False
    users, docs = world["users"], world["docs"]
    stored = _attach_file(docs[SECRET], users["clerk"])
    ClearanceFactory(user=users["admin"], level=Confidentiality.TOP_SECRET)
    for who in ("clerk", "leader", "lead_handler", "admin"):
        # They may see the entry (metadata) …
        assert permissions.can_view_incoming(users[who], docs[SECRET])
        # … but never its file: the uploader's and the superuser's default grants are vetoed.
        assert can_download(users[who], stored) is False, who
    client.force_login(users["clerk"])
    assert client.get(reverse("files:download", args=[stored.pk])).status_code == 404


def test_download_url_answers_404_to_those_who_may_not_see(world, client):
    users, docs = world["users"], world["docs"]
    stored = _attach_file(docs[ORDINARY], users["clerk"])
    client.force_login(users["lead_handler"])
    assert client.get(reverse("files:download", args=[stored.pk])).status_code == 200
    client.force_login(users["outsider"])
    assert client.get(reverse("files:download", args=[stored.pk])).status_code == 404
    client.force_login(users["unassigned_handler"])
    assert client.get(reverse("files:download", args=[stored.pk])).status_code == 404


def test_other_files_are_not_our_business(world):
    stored = store_bytes(PDF, name="x.pdf", content_type="application/pdf", actor=world["users"]["member"])
    assert permissions.incoming_file_access(world["users"]["outsider"], stored) is None
    assert can_download(world["users"]["member"], stored)  # the uploader's default grant stands


def test_admin_with_clearance_sees_classified(world):
    admin, docs = world["users"]["admin"], world["docs"]
    ClearanceFactory(user=admin, level=Confidentiality.SECRET)
    selectors.forget_document_access(admin)
    visible = set(selectors.incoming_visible_to(admin).values_list("pk", flat=True))
    assert visible == {docs[ORDINARY].pk, docs[SECRET].pk}


def test_clearance_validity_period_and_levels(world):
    handler = world["users"]["co_handler"]
    ClearanceFactory(
        user=handler,
        level=Confidentiality.SECRET,
        valid_from=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2021, 1, 1),
    )
    assert not permissions.cleared_for(handler, Confidentiality.SECRET)
    assert permissions.cleared_for(handler, Confidentiality.SECRET, on=datetime.date(2020, 6, 1))
    future = datetime.date.today() + datetime.timedelta(days=30)
    ClearanceFactory(user=handler, level=Confidentiality.ABSOLUTE_SECRET, valid_from=future)
    selectors.forget_document_access(handler)
    assert not permissions.cleared_for(handler, Confidentiality.SECRET)
    ClearanceFactory(user=handler, level=Confidentiality.TOP_SECRET)
    selectors.forget_document_access(handler)
    # A clearance covers the levels below it, not above.
    assert permissions.cleared_for(handler, Confidentiality.SECRET)
    assert permissions.cleared_for(handler, Confidentiality.TOP_SECRET)
    assert not permissions.cleared_for(handler, Confidentiality.ABSOLUTE_SECRET)
    assert permissions.cleared_for(handler, "")
    assert not permissions.cleared_for(handler, "bogus")


def test_superseded_directive_no_longer_grants(world):
    from django.utils import timezone

    users, doc = world["users"], world["docs"][ORDINARY]
    current = doc.directives.get(superseded_at__isnull=True)
    current.superseded_at = timezone.now()
    current.save(update_fields=["superseded_at"])
    give_directive(doc, by=users["leader"], lead=users["co_handler"])
    for who, expected in (("lead_handler", False), ("informed", False), ("co_handler", True)):
        user = users[who]
        assert permissions.can_view_incoming(user, doc) is expected, who
        assert selectors.incoming_visible_to(user).filter(pk=doc.pk).exists() is expected, who


def test_cell_documents(world):
    users, tree = world["users"], world["org_tree"]
    cell_doc = IncomingDocumentFactory(organization=tree["cell_a"], status=IncomingStatus.REGISTERED)
    other_cell_doc = IncomingDocumentFactory(organization=tree["cell_b"], status=IncomingStatus.REGISTERED)
    foreign_doc = IncomingDocumentFactory(organization=tree["other_commune"], status=IncomingStatus.REGISTERED)
    sec = users["cell_secretary"]
    assert set(selectors.incoming_visible_to(sec).values_list("pk", flat=True)) == {cell_doc.pk}
    # Clerks and leaders of the commune see what every organization of the commune received.
    for who in ("clerk", "leader"):
        visible = set(selectors.incoming_visible_to(users[who]).values_list("pk", flat=True))
        assert {cell_doc.pk, other_cell_doc.pk} <= visible
        assert foreign_doc.pk not in visible
    assert permissions.can_receive(sec, tree["cell_a"])
    assert not permissions.can_receive(sec, tree["cell_b"])
    assert permissions.can_direct(sec, cell_doc)
    assert not permissions.can_direct(sec, other_cell_doc)
    assert not permissions.can_view_incoming(users["outsider"], cell_doc)
    assert not permissions.can_receive(users["outsider"], tree["office"])


def test_write_predicates(world):
    users, docs, tree = world["users"], world["docs"], world["org_tree"]
    doc = docs[ORDINARY]
    assert permissions.can_receive(users["clerk"], tree["office"])
    assert permissions.can_receive(users["clerk"], tree["commune"])
    assert not permissions.can_receive(users["leader"], tree["office"])
    assert not permissions.can_receive(users["lead_handler"], tree["office"])
    assert permissions.can_receive(users["admin"], tree["office"])
    # Directing: the commune's leaders only.
    assert permissions.can_direct(users["leader"], doc)
    for who in ("clerk", "lead_handler", "co_handler", "member", "outsider"):
        assert not permissions.can_direct(users[who], doc), who
    # Handling: lead and co-operating handlers, not those informed.
    assert permissions.can_handle(users["lead_handler"], doc)
    assert permissions.can_handle(users["co_handler"], doc)
    assert not permissions.can_handle(users["informed"], doc)
    assert not permissions.can_handle(users["leader"], doc)
    assert permissions.can_close(users["lead_handler"], doc)
    assert not permissions.can_close(users["co_handler"], doc)
    # A handler who may no longer see a classified document may not handle it.
    assert not permissions.can_handle(users["co_handler"], docs[SECRET])
    # Registering: drafts only, by receivers.
    draft = IncomingDocumentFactory(organization=tree["office"], status=IncomingStatus.DRAFT)
    assert permissions.can_register(users["clerk"], draft)
    assert not permissions.can_register(users["leader"], draft)
    assert not permissions.can_register(users["clerk"], doc)
    assert permissions.can_void(users["clerk"], doc)
    assert not permissions.can_void(users["clerk"], draft)
    assert not permissions.can_void(users["lead_handler"], doc)


def test_anonymous_and_inactive_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    doc = world["docs"][ORDINARY]
    assert not selectors.incoming_visible_to(AnonymousUser()).exists()
    assert not permissions.can_view_incoming(AnonymousUser(), doc)
    assert not permissions.cleared_for(AnonymousUser(), "")
    clerk = world["users"]["clerk"]
    clerk.is_active = False
    clerk.save()
    assert not selectors.incoming_visible_to(clerk).exists()
    assert not permissions.can_view_incoming(clerk, doc)


def test_for_update_locks_visible_rows_and_404s_others(world):
    from django.db import transaction
    from django.http import Http404

    users, doc = world["users"], world["docs"][ORDINARY]
    with transaction.atomic():
        assert selectors.incoming_for_update(users["clerk"], doc.pk) == doc
        with pytest.raises(Http404):
            selectors.incoming_for_update(users["outsider"], doc.pk)
        with pytest.raises(Http404):
            selectors.incoming_for_update(users["clerk"], "not-a-number")


def test_files_allowed(settings):
    settings.PARTYHUB_ALLOW_SECRET_FILES = False
    assert permissions.files_allowed("")
    assert not permissions.files_allowed(Confidentiality.SECRET)
    settings.PARTYHUB_ALLOW_SECRET_FILES = True
    assert permissions.files_allowed(Confidentiality.SECRET)
    assert not permissions.files_allowed(Confidentiality.TOP_SECRET)
    assert not permissions.files_allowed(Confidentiality.ABSOLUTE_SECRET)


def test_visibility_costs_few_queries(world, django_assert_max_num_queries):
    clerk = world["users"]["clerk"]
    selectors.forget_document_access(clerk)
    from members.selectors import forget_access

    forget_access(clerk)
    with django_assert_max_num_queries(5):
        list(selectors.incoming_visible_to(clerk))
    with django_assert_max_num_queries(1):
        list(selectors.incoming_visible_to(clerk))
