"""The library of published texts (issue 5 point 7): who reads which publication (every audience × role, on the
page, the API and the file), unpublishing withdraws access at once, the public page without login, search
without diacritics, bookmarks, publishing rules, the handbook section, pinned query counts."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from documents.library import publications_visible_to, search_library
from documents.models import Audience, Bookmark, OutgoingEvent, OutgoingEventKind, OutgoingStatus, Publication
from documents.services.distribution import distribution_recall
from documents.services.library import bookmark_toggle, publication_create, publication_withdraw
from tests.factories import MemberFactory, UserFactory

from .dist_support import issued_document, private_storage_in

HX = {"HTTP_HX_REQUEST": "true"}
ROLES = ("member_a", "member_b", "committee", "outsider", "anonymous", "office")
#: audience → the roles that read it.
EXPECTED = {
    "public": {"member_a", "member_b", "committee", "outsider", "anonymous", "office"},
    "organization": {"member_a", "member_b", "committee", "office"},
    "cell": {"member_a", "office"},
    "committee": {"committee", "office"},
}


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    private_storage_in(settings, tmp_path / "private")


@pytest.fixture(scope="module")
def pdf():
    from partyhub.pdf import html_to_pdf

    return html_to_pdf("<p>Nghị quyết về chuyển đổi số</p>").pdf


@pytest.fixture
def people(org_tree, member_user, delegate, outsider, handler):
    other = UserFactory(username="member_b")
    MemberFactory(full_name=other.full_name, organization=org_tree["cell_b"], user=other)
    return {
        "member_a": member_user,
        "member_b": other,
        "committee": delegate,
        "outsider": outsider,
        "anonymous": AnonymousUser(),
        "office": handler,
    }


def _doc(org_tree, document_types, clerk, pdf, number, summary, **extra):
    return issued_document(
        organization=org_tree["standing"],
        document_type=document_types["Nghị quyết"],
        drafted_by=clerk,
        pdf=pdf,
        number=number,
        summary=summary,
        **extra,
    )


@pytest.fixture
def publications(org_tree, document_types, clerk, pdf):
    """One publication per audience, each of its own document (and file)."""
    where = {
        "public": None,
        "organization": org_tree["commune"],
        "cell": org_tree["cell_a"],
        "committee": org_tree["commune"],
    }
    result = {}
    for number, (audience, organization) in enumerate(where.items(), start=1):
        document = _doc(org_tree, document_types, clerk, pdf, number, f"Văn bản cho {audience} số {number}")
        result[audience] = publication_create(
            actor=clerk,
            document=document,
            audience=audience,
            organization=organization,
            title=f"Tài liệu {audience}",
        )
    return result


def _client_for(client, user):
    client.logout()
    if user.is_authenticated:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_every_audience_for_every_role(role, people, publications, client):
    user = people[role]
    visible = set(publications_visible_to(user).values_list("audience", flat=True))
    expected = {audience for audience, readers in EXPECTED.items() if role in readers}
    assert visible == expected
    c = _client_for(client, user)
    for audience, publication in publications.items():
        readable = audience in expected
        file_url = reverse("files:download", args=[publication.document.issued_file_id])
        assert (c.get(file_url).status_code == 200) is readable, (audience, "file")
        if user.is_authenticated:
            page = c.get(reverse("documents:library_detail", args=[publication.pk]))
            assert page.status_code == (200 if readable else 404), (audience, "page")
            api = c.get(f"/api/v1/library/{publication.pk}/")
            assert api.status_code == (200 if readable else 404), (audience, "api")
        public_page = c.get(reverse("public_library_detail", args=[publication.pk]))
        assert public_page.status_code == (200 if audience == "public" else 404), (audience, "public page")


def test_office_staff_read_everything_of_their_commune_only(org_tree, document_types, clerk, pdf, handler):
    mine = publication_create(
        actor=clerk,
        document=_doc(org_tree, document_types, clerk, pdf, 9, "Của chi bộ Hòa Bình"),
        audience=Audience.CELL,
        organization=org_tree["cell_b"],
    )
    assert list(publications_visible_to(handler)) == [mine]
    other_clerk = UserFactory(username="other_clerk")
    from tests.factories import PositionFactory, PositionTitleFactory

    member = MemberFactory(full_name="Văn thư Vĩnh Hòa", organization=org_tree["other_cell"], user=other_clerk)
    PositionFactory(
        member=member,
        organization=org_tree["other_commune"],
        title=PositionTitleFactory(name="Văn thư xã khác", grants_clerk=True),
        start_date=datetime.date(2025, 9, 1),
    )
    assert not publications_visible_to(other_clerk).exists()


def test_members_who_left_the_party_read_only_public_texts(people, publications, member_user):
    from members.models import Member, MemberStatus

    Member.objects.filter(user=member_user).update(status=MemberStatus.EXPELLED)
    fresh = type(member_user).objects.get(pk=member_user.pk)
    assert set(publications_visible_to(fresh).values_list("audience", flat=True)) == {"public"}


def test_unpublishing_withdraws_access_at_once(people, publications, clerk, client):
    cell = publications["cell"]
    public = publications["public"]
    member = people["member_a"]
    c = _client_for(client, member)
    assert c.get(reverse("documents:library_detail", args=[cell.pk])).status_code == 200
    publication_withdraw(actor=clerk, publication=cell)
    publication_withdraw(actor=clerk, publication=public)
    assert c.get(reverse("documents:library_detail", args=[cell.pk])).status_code == 404
    assert c.get(f"/api/v1/library/{cell.pk}/").status_code == 404
    assert c.get(reverse("files:download", args=[cell.document.issued_file_id])).status_code == 404
    listing = c.get(reverse("documents:library")).content.decode()
    assert "Tài liệu cell" not in listing and "Tài liệu organization" in listing
    anonymous = _client_for(client, AnonymousUser())
    assert anonymous.get(reverse("public_library_detail", args=[public.pk])).status_code == 404
    assert anonymous.get(reverse("files:download", args=[public.document.issued_file_id])).status_code == 404
    assert "Tài liệu public" not in anonymous.get(reverse("public_library")).content.decode()
    events = OutgoingEvent.objects.filter(document=cell.document, kind=OutgoingEventKind.UNPUBLISHED)
    assert events.count() == 1 and events.get().actor == clerk
    with pytest.raises(ValidationError):
        publication_withdraw(actor=clerk, publication=cell)


def test_a_recall_withdraws_the_publications(people, publications, clerk):
    publication = publications["organization"]
    document = publication.document
    document.status = OutgoingStatus.RECALLED
    document.recalled_at = timezone.now()
    document.recall_reason = "Ban hành nhầm"
    document.save()
    distribution_recall(actor=clerk, document=document, reason="Ban hành nhầm")
    publication.refresh_from_db()
    assert publication.withdrawn_at is not None and publication.withdrawn_by == clerk
    assert not publications_visible_to(people["member_a"]).filter(pk=publication.pk).exists()


def test_the_public_page_needs_no_login_and_shows_nothing_else(publications, client, pdf):
    anonymous = _client_for(client, AnonymousUser())
    response = anonymous.get(reverse("public_library"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tài liệu public" in html
    for audience in ("organization", "cell", "committee"):
        assert f"Tài liệu {audience}" not in html
        assert f"Văn bản cho {audience}" not in html
    assert "documents found" not in html and "Nghị quyết</option>" in html  # types of public texts only
    detail = anonymous.get(reverse("public_library_detail", args=[publications["public"].pk]))
    assert detail.status_code == 200
    file_url = reverse("files:download", args=[publications["public"].document.issued_file_id])
    assert file_url in detail.content.decode()
    download = anonymous.get(file_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == pdf
    assert download["Cache-Control"] == "no-store"
    # The members' library itself needs a login.
    assert anonymous.get(reverse("documents:library")).status_code == 302


def test_the_public_page_search_is_limited_to_public_texts(publications, client):
    anonymous = _client_for(client, AnonymousUser())
    html = anonymous.get(reverse("public_library"), {"q": "tai lieu"}, **HX, HTTP_HX_TARGET="library-results")
    body = html.content.decode()
    assert body.startswith('<section id="library-results"') or 'id="library-results"' in body[:200]
    assert "Tài liệu public" in body and "Tài liệu cell" not in body


def test_search_ignores_diacritics(org_tree, document_types, clerk, pdf, member_user, client):
    texts = [
        "Nghị quyết về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ",
        "Kế hoạch tổ chức Đại hội Chi bộ nhiệm kỳ 2025-2030",
    ]
    for number, summary in enumerate(texts, start=1):
        publication_create(
            actor=clerk,
            document=_doc(org_tree, document_types, clerk, pdf, number, summary),
            audience=Audience.ORGANIZATION,
            organization=org_tree["commune"],
        )
    found = [p.document.summary for p in search_library(member_user, q="nghi quyet chuyen doi so")]
    assert found == [texts[0]]
    assert [p.document.summary for p in search_library(member_user, q="DAI HOI chi bo")] == [texts[1]]
    assert [p.document.summary for p in search_library(member_user, q="ĐẨY manh")] == [texts[0]]
    assert search_library(member_user, q="đảng BỘ").count() == 2  # the issuer's name is searched too
    assert not search_library(member_user, q="oat dong").exists()  # words match from their start
    assert [p.document.summary for p in search_library(member_user, q="01-NQ/ĐU")] == [texts[0]]
    assert not search_library(member_user, q="ngân sách").exists()
    client.force_login(member_user)
    page = client.get(reverse("documents:library"), {"q": "chuyen doi so"}).content.decode()
    assert texts[0] in page and texts[1] not in page
    year = timezone.localdate().year
    assert client.get(reverse("documents:library"), {"year": year - 1}).status_code == 200
    none = client.get(reverse("documents:library"), {"q": "ngan sach"}).content.decode()
    assert "Nothing matches this search." in none


def test_bookmarks(people, publications, client):
    member = people["member_a"]
    cell = publications["cell"]
    assert bookmark_toggle(actor=member, publication=cell) is True
    assert [p.pk for p in search_library(member, bookmarked=True)] == [cell.pk]
    assert bookmark_toggle(actor=member, publication=cell) is False
    assert not Bookmark.objects.exists()
    with pytest.raises(PermissionDenied):
        bookmark_toggle(actor=people["member_b"], publication=cell)
    c = _client_for(client, member)
    answer = c.post(reverse("documents:library_bookmark", args=[cell.pk]), **HX)
    assert answer.status_code == 200 and "Bookmarked" in answer.content.decode()
    mine = c.get(reverse("documents:library"), {"bookmarks": "on"}).content.decode()
    assert "Tài liệu cell" in mine and "Tài liệu organization" not in mine
    other = _client_for(client, people["member_b"])
    assert other.post(reverse("documents:library_bookmark", args=[cell.pk])).status_code == 404


def test_the_library_page_reads_on_a_phone_with_the_pdf(publications, member_user, client):
    client.force_login(member_user)
    publication = publications["cell"]
    html = client.get(reverse("documents:library_detail", args=[publication.pk])).content.decode()
    assert 'name="viewport"' in html and "data-pdf-viewer" in html
    assert reverse("files:download", args=[publication.document.issued_file_id]) in html
    assert "vendor/pdfjs-dist/pdf.min.mjs" in html


# --- publishing -------------------------------------------------------------------------------------------------


def test_publishing_rules(org_tree, document_types, clerk, cell_secretary, member_user, pdf):
    document = _doc(org_tree, document_types, clerk, pdf, 1, "Nghị quyết của Ban Thường vụ")
    with pytest.raises(PermissionDenied):
        publication_create(actor=member_user, document=document, audience=Audience.PUBLIC)
    with pytest.raises(PermissionDenied):
        publication_create(
            actor=cell_secretary, document=document, audience=Audience.CELL, organization=org_tree["cell_a"]
        )
    with pytest.raises(ValidationError) as refused:
        publication_create(actor=clerk, document=document, audience=Audience.CELL, organization=org_tree["commune"])
    assert refused.value.message_dict["organization"] == ["Choose a cell for this audience."]
    with pytest.raises(ValidationError) as refused:
        publication_create(actor=clerk, document=document, audience=Audience.ORGANIZATION)
    assert refused.value.message_dict["organization"] == ["Choose the organization or cell of the audience."]
    with pytest.raises(ValidationError) as refused:
        publication_create(
            actor=clerk, document=document, audience=Audience.ORGANIZATION, organization=org_tree["other_commune"]
        )
    assert refused.value.message_dict["organization"] == ["You cannot publish to this organization."]
    first = publication_create(actor=clerk, document=document, audience=Audience.PUBLIC, title="  Công khai  ")
    assert first.title == "Công khai" and first.organization is None
    assert "cong khai" in first.search_text and "ban thuong vu" in first.search_text
    with pytest.raises(ValidationError) as refused:
        publication_create(actor=clerk, document=document, audience=Audience.PUBLIC)
    assert refused.value.messages == ["The document is already published to this audience."]
    event = OutgoingEvent.objects.get(document=document, kind=OutgoingEventKind.PUBLISHED)
    assert event.actor == clerk and event.comment == "The public"
    # Classified, or not issued: never.
    secret = _doc(org_tree, document_types, clerk, None, 2, "Mật", confidentiality="mat")
    with pytest.raises(ValidationError) as refused:
        publication_create(actor=clerk, document=secret, audience=Audience.PUBLIC)
    assert refused.value.messages == ["A classified document cannot be published."]
    recalled = _doc(org_tree, document_types, clerk, pdf, 3, "Thu hồi")
    recalled.status = OutgoingStatus.RECALLED
    recalled.save(update_fields=["status"])
    with pytest.raises(ValidationError) as refused:
        publication_create(actor=clerk, document=recalled, audience=Audience.PUBLIC)
    assert refused.value.messages == ["Only an issued document can be published."]
    assert Publication.objects.count() == 1


def test_a_cell_secretary_publishes_the_cells_own_documents(
    org_tree, document_types, clerk, cell_secretary, member_user, pdf
):
    document = issued_document(
        organization=org_tree["cell_a"],
        document_type=document_types["Nghị quyết"],
        drafted_by=cell_secretary,
        pdf=pdf,
        summary="Nghị quyết chi bộ tháng 3",
    )
    publication = publication_create(
        actor=cell_secretary, document=document, audience=Audience.CELL, organization=org_tree["cell_a"]
    )
    assert list(publications_visible_to(member_user)) == [publication]
    with pytest.raises(ValidationError):
        publication_create(
            actor=cell_secretary, document=document, audience=Audience.ORGANIZATION, organization=org_tree["commune"]
        )


def test_the_publish_panel_publishes_and_unpublishes_with_htmx(
    org_tree, document_types, clerk, member_user, pdf, client
):
    from django.template import RequestContext, Template
    from django.test import RequestFactory

    document = _doc(org_tree, document_types, clerk, pdf, 1, "Chương trình hành động")
    request = RequestFactory().get("/")
    request.user = clerk
    panel = Template('{% include "documents/outgoing/_publish.html" %}').render(
        RequestContext(request, {"document": document})
    )
    assert "Publish in the library" in panel and reverse("documents:outgoing_publish", args=[document.pk]) in panel
    client.force_login(member_user)
    url = reverse("documents:outgoing_publish", args=[document.pk])
    assert client.post(url, {"audience": "public"}, **HX).status_code == 404
    client.force_login(clerk)
    refused = client.post(url, {"audience": "cell", "organization": org_tree["commune"].pk}, **HX)
    assert "Choose a cell for this audience." in refused.content.decode()
    answer = client.post(
        url, {"audience": "organization", "organization": org_tree["commune"].pk, "title": "Chương trình"}, **HX
    )
    html = answer.content.decode()
    assert 'id="publish-panel"' in html and "Published in the library." in html
    publication = Publication.objects.get(document=document)
    assert publication.audience == Audience.ORGANIZATION and publication.organization == org_tree["commune"]
    withdraw = client.post(reverse("documents:publication_withdraw", args=[publication.pk]), **HX)
    assert "readers no longer have access" in withdraw.content.decode()
    publication.refresh_from_db()
    assert publication.withdrawn_at is not None


# --- the handbook and query counts ------------------------------------------------------------------------------


def test_the_handbook_lists_what_was_published_for_the_member(publications, member_user, outsider, client):
    client.force_login(member_user)
    html = client.get(reverse("members:handbook")).content.decode()
    assert "Documents shared with you" in html
    assert "Tài liệu cell" in html and "Tài liệu organization" in html and "Tài liệu committee" not in html
    assert reverse("documents:library") in html
    assert reverse("documents:library_detail", args=[publications["cell"].pk]) in html
    # Without anything to read, the slot keeps its empty state.
    from documents.services.library import publication_withdraw

    publication_withdraw(actor=publications["public"].published_by, publication=publications["public"])
    client.force_login(outsider)
    html = client.get(reverse("members:handbook")).content.decode()
    assert "No documents have been shared with you yet, comrade." in html


def test_the_library_list_has_a_pinned_number_of_queries(
    org_tree, document_types, clerk, pdf, member_user, client, django_assert_num_queries
):
    def publish(count, start):
        for number in range(start, start + count):
            publication_create(
                actor=clerk,
                document=_doc(org_tree, document_types, clerk, pdf, number, f"Văn bản {number}"),
                audience=Audience.ORGANIZATION,
                organization=org_tree["commune"],
            )

    publish(3, 1)
    client.force_login(member_user)
    client.get(reverse("documents:library"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("documents:library"))
    publish(12, 10)
    # Session and user (3 with the session save), the menu's roles (2) and notification count; the library facts
    # (member, organizations above, positions), the type and year filters, the count and the rows of the page.
    assert len(few.captured_queries) == 15
    with django_assert_num_queries(15):
        html = client.get(reverse("documents:library")).content.decode()
    assert html.count('class="card library-item"') == 15


def test_the_public_page_has_a_pinned_number_of_queries(
    org_tree, document_types, clerk, pdf, client, django_assert_num_queries
):
    for number in range(1, 6):
        publication_create(
            actor=clerk,
            document=_doc(org_tree, document_types, clerk, pdf, number, f"Văn bản {number}"),
            audience=Audience.PUBLIC,
        )
    # The type filter, the year filter, the count and the rows.
    with django_assert_num_queries(4):
        client.get(reverse("public_library"))
