"""Searching incoming documents: diacritic-insensitive full text, ranking, highlighted snippets (escaped),
filters, visibility, the search page (query count pinned) and saved searches. Runs on PostgreSQL (full text
+ trigram) and on SQLite (the icontains fallback); ranking is checked on PostgreSQL only."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from documents import search
from documents.models import Confidentiality, IncomingStatus, SavedSearch, Urgency
from documents.search import fold_with_map, highlight, parse_query, search_incoming, snippet

from .factories import ClearanceFactory, DocumentTypeFactory, IncomingDocumentFactory, give_directive

TEXT_57 = (
    "BAN CHẤP HÀNH TRUNG ƯƠNG. Nghị quyết của Bộ Chính trị về đột phá phát triển khoa học, công nghệ, "
    "đổi mới sáng tạo và chuyển đổi số quốc gia. Các cấp ủy, tổ chức đảng quán triệt và tổ chức thực hiện."
)


def make(organization, *, summary="", text="", refresh=True, **fields):
    fields.setdefault("status", IncomingStatus.REGISTERED)
    doc = IncomingDocumentFactory(organization=organization, summary=summary, extracted_text=text, **fields)
    if refresh:
        search.refresh_search_text(doc)
    return doc


@pytest.fixture
def docs(org_tree, clerk):
    office = org_tree["office"]
    nq = DocumentTypeFactory(name="Nghị quyết", abbreviation="NQ")
    cv = DocumentTypeFactory(name="Công văn", abbreviation="CV")
    return {
        "nq57": make(
            office,
            summary="Nghị quyết về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số",
            text=TEXT_57,
            number_symbol="57-NQ/TW",
            sender="Ban Chấp hành Trung ương",
            document_type=nq,
            received_on=datetime.date(2026, 1, 5),
            urgency=Urgency.URGENT,
            period="2026",
        ),
        "cv": make(
            office,
            summary="Về việc tổ chức hội nghị sơ kết công tác xây dựng Đảng",
            text="Đề nghị các chi bộ báo cáo kết quả trước ngày 15/3/2026.",
            number_symbol="120-CV/TU",
            sender="Tỉnh ủy An Giang",
            document_type=cv,
            received_on=datetime.date(2025, 12, 20),
            period="2025",
        ),
        "foreign": make(
            org_tree["other_commune"],
            summary="Nghị quyết về chuyển đổi số của xã Vĩnh Hòa",
            text="chuyển đổi số",
            number_symbol="05-NQ/ĐU",
        ),
        "secret": make(
            office,
            summary="Nghị quyết mật về chuyển đổi số",
            confidentiality=Confidentiality.SECRET,
            number_symbol="01-NQ/TW",
        ),
    }


def ids(result):
    return [d.pk for d in result.queryset]


# --- pure helpers ---------------------------------------------------------------------------------------------


def test_parse_query_folds_and_splits():
    parsed = parse_query("  Nghị QUYẾT, chuyển-đổi số 57-NQ/TW  nghi ")
    assert parsed.words == ("nghi", "quyet", "so")
    assert parsed.literals == ("chuyen-doi", "57-nq/tw")
    assert not parse_query("  ,;  ")
    assert len(parse_query(" ".join(f"w{i}" for i in range(40))).terms) == search.MAX_TERMS


def test_fold_with_map_points_back_to_the_original():
    text = "Đảng ủy xã"
    folded, where = fold_with_map(text)
    assert folded == "dang uy xa"
    assert [text[where[i]] for i in range(len(folded))][:4] == ["Đ", "ả", "n", "g"]
    # Decomposed input (NFD): combining marks fold to nothing.
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Nghị")
    folded, where = fold_with_map(nfd)
    assert folded == "nghi"


def test_highlight_marks_original_words_and_escapes():
    html = highlight("Nghị quyết <script>alert(1)</script> về chuyển đổi số & dữ liệu", ["nghi", "so", "script"])
    assert html.startswith("<mark>Nghị</mark> quyết &lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;")
    assert "<mark>số</mark> &amp; dữ liệu" in html
    assert "<script>" not in html
    # A term marks words that start with it, not the middle of other words.
    assert "<mark>" not in str(highlight("also", ["so"]))


def test_snippet_centres_on_the_densest_matches():
    filler = "lorem ipsum dolor " * 40
    text = filler + "Nghị quyết về chuyển đổi số quốc gia. " + filler
    html = str(snippet(text, ["chuyen", "doi", "so"], size=120))
    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>chuyển</mark> <mark>đổi</mark> <mark>số</mark>" in html
    assert len(html) < 400
    assert str(snippet("", ["x"])) == ""
    assert str(snippet("<b>bold</b> text", [])) == "&lt;b&gt;bold&lt;/b&gt; text"


def test_refresh_search_text_includes_metadata_and_text(docs):
    doc = docs["nq57"]
    doc.refresh_from_db()
    assert "57-nq/tw" in doc.search_text
    assert "ban chap hanh trung uong" in doc.search_text
    assert "nghi quyet" in doc.search_text
    assert "chuyen doi so quoc gia" in doc.search_text


# --- searching ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_words_without_diacritics_find_the_document(docs, clerk):
    result = search_incoming(clerk, q="nghi quyet chuyen doi so")
    found = ids(result)
    assert docs["nq57"].pk in found
    assert docs["cv"].pk not in found
    # Outside the clerk's commune, and classified without clearance: never.
    assert docs["foreign"].pk not in found
    assert docs["secret"].pk not in found


@pytest.mark.django_db
def test_every_word_must_match_and_text_counts(docs, clerk):
    assert ids(search_incoming(clerk, q="khoa hoc cong nghe")) == [docs["nq57"].pk]
    assert ids(search_incoming(clerk, q="chi bo bao cao")) == [docs["cv"].pk]  # only in the extracted text
    assert ids(search_incoming(clerk, q="khoa hoc xay dung")) == []


@pytest.mark.django_db
def test_number_and_symbol(docs, clerk):
    assert ids(search_incoming(clerk, q="57-NQ/TW")) == [docs["nq57"].pk]
    assert ids(search_incoming(clerk, q="khoa 120-cv/tu")) == []  # "khoa" is not in that entry
    assert ids(search_incoming(clerk, q="120-cv/tu")) == [docs["cv"].pk]


@pytest.mark.django_db
def test_clearance_opens_classified_results(docs, clerk):
    ClearanceFactory(user=clerk, level=Confidentiality.SECRET)
    from documents.selectors import forget_document_access

    forget_document_access(clerk)
    found = ids(search_incoming(clerk, q="chuyen doi so"))
    assert docs["secret"].pk in found


@pytest.mark.django_db
def test_outsider_and_handler_see_only_their_own(docs, outsider, handler, leader):
    # The outsider is a plain member of another commune: nothing, not even that commune's documents.
    assert ids(search_incoming(outsider, q="chuyen doi so")) == []
    assert ids(search_incoming(outsider, q="")) == []
    assert ids(search_incoming(handler, q="chuyen doi so")) == []
    give_directive(docs["nq57"], by=leader, lead=handler)
    assert ids(search_incoming(handler, q="chuyen doi so")) == [docs["nq57"].pk]


@pytest.mark.django_db
def test_filters(docs, clerk, handler, leader):
    nq57, cv = docs["nq57"], docs["cv"]
    assert ids(search_incoming(clerk, filters={"document_type": nq57.document_type_id})) == [nq57.pk]
    assert ids(search_incoming(clerk, filters={"sender": "tinh uy an giang"})) == [cv.pk]
    assert ids(search_incoming(clerk, filters={"sender": "Trung ương"})) == [nq57.pk]
    assert ids(search_incoming(clerk, filters={"received_from": datetime.date(2026, 1, 1)})) == [nq57.pk]
    assert ids(search_incoming(clerk, filters={"received_to": datetime.date(2025, 12, 31)})) == [cv.pk]
    assert ids(search_incoming(clerk, filters={"urgency": Urgency.URGENT})) == [nq57.pk]
    assert ids(search_incoming(clerk, filters={"year": 2025})) == [cv.pk]
    assert set(ids(search_incoming(clerk, filters={"confidentiality": "normal"}))) == {nq57.pk, cv.pk}
    cv.status = IncomingStatus.IN_PROGRESS
    cv.save(update_fields=["status"])
    assert ids(search_incoming(clerk, filters={"status": IncomingStatus.IN_PROGRESS})) == [cv.pk]
    give_directive(cv, by=leader, lead=handler)
    assert ids(search_incoming(clerk, filters={"handler": handler.pk})) == [cv.pk]
    assert ids(search_incoming(clerk, q="nghi quyet", filters={"handler": handler.pk})) == []
    with pytest.raises(ValueError):
        search_incoming(clerk, filters={"bogus": 1})


@pytest.mark.django_db
def test_orders(docs, clerk):
    assert ids(search_incoming(clerk, order="newest")) == [docs["nq57"].pk, docs["cv"].pk]
    assert ids(search_incoming(clerk, order="oldest")) == [docs["cv"].pk, docs["nq57"].pk]
    assert ids(search_incoming(clerk, order="nonsense")) == [docs["nq57"].pk, docs["cv"].pk]


@pytest.mark.postgres
@pytest.mark.django_db
def test_ranking_on_postgresql(org_tree, clerk):
    assert connection.vendor == "postgresql"
    office = org_tree["office"]
    weak = make(
        office,
        summary="Báo cáo công tác",
        text="có nhắc tới chuyển đổi số một lần",
        received_on=datetime.date(2026, 3, 1),
    )
    strong = make(
        office,
        summary="Kế hoạch chuyển đổi số",
        text="Chuyển đổi số. " * 5 + "Chuyển đổi số trong hoạt động của cấp ủy.",
        received_on=datetime.date(2026, 1, 1),
    )
    result = search_incoming(clerk, q="chuyen doi so")
    assert result.full_text
    assert ids(result) == [strong.pk, weak.pk]
    ranks = [d.rank for d in result.queryset]
    assert ranks[0] > ranks[1] > 0
    # Newest first when asked, whatever the rank.
    assert ids(search_incoming(clerk, q="chuyen doi so", order="newest")) == [weak.pk, strong.pk]


@pytest.mark.django_db
def test_too_many_matches_are_counted_up_to_a_limit_and_not_ranked(org_tree, clerk, client, monkeypatch):
    office = org_tree["office"]
    older = make(office, summary="Chuyển đổi số", text="chuyển đổi số " * 9, received_on=datetime.date(2026, 1, 1))
    newer = make(office, summary="Chuyển đổi số", text="một lần", received_on=datetime.date(2026, 2, 1))
    third = make(office, summary="Chuyển đổi số", text="", received_on=datetime.date(2025, 2, 1))
    result = search_incoming(clerk, q="chuyen doi so")
    page = result.page(1)
    assert page.paginator.count == 3 and not result.count_capped
    if connection.vendor == "postgresql":
        assert page.object_list[0].pk == older.pk and result.ranked
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    result = search_incoming(clerk, q="chuyen doi so")
    page = result.page(1)
    assert [d.pk for d in page.object_list] == [newer.pk, older.pk]
    assert page.paginator.count == 2 and result.count_capped and not result.ranked
    assert third.pk not in [d.pk for d in page.object_list]
    client.force_login(clerk)
    body = client.get(reverse("documents:search"), {"q": "chuyen doi so"}, HTTP_ACCEPT_LANGUAGE="en").content
    assert b"More than 2 documents found" in body
    assert b"Too many documents match" in body
    # Without words, the count is exact.
    result = search_incoming(clerk)
    assert result.page(1).paginator.count == 3 and not result.count_capped


@pytest.mark.django_db
def test_page_attaches_highlights(docs, clerk):
    page = search_incoming(clerk, q="nghi quyet chuyen doi so").page(1)
    doc = page.object_list[0]
    assert "<mark>Nghị</mark> <mark>quyết</mark>" in doc.search_summary
    assert "<mark>chuyển</mark> <mark>đổi</mark> <mark>số</mark>" in doc.search_snippet


# --- the page -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_page(client, docs, clerk):
    client.force_login(clerk)
    response = client.get(reverse("documents:search"), {"q": "nghi quyet chuyen doi so"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<mark>chuyển</mark>" in body
    assert docs["nq57"].number_symbol in body
    assert "Vĩnh Hòa" not in body  # the other commune's document
    assert docs["secret"].number_symbol not in body
    assert 'class="tag urgent"' in body


@pytest.mark.django_db
def test_search_page_escapes_hostile_text(client, org_tree, clerk):
    make(org_tree["office"], summary='Chuyển đổi số <img src=x onerror="alert(1)">', text="<script>x()</script> số")
    client.force_login(clerk)
    body = client.get(reverse("documents:search"), {"q": "chuyen doi so"}).content.decode()
    assert "<img src=x" not in body and "<script>x()" not in body
    assert "&lt;img src=x" in body


@pytest.mark.django_db
def test_search_page_bad_input(client, docs, clerk):
    client.force_login(clerk)
    with_lang = {"HTTP_ACCEPT_LANGUAGE": "en"}
    response = client.get(
        reverse("documents:search"), {"received_from": "31/12/2026", "received_to": "01/01/2026"}, **with_lang
    )
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "received_to" in response.context["form"].errors
    response = client.get(reverse("documents:search"), {"received_from": "not a date"})
    assert "received_from" in response.context["form"].errors


@pytest.mark.django_db
def test_search_page_htmx_returns_results_only(client, docs, clerk):
    client.force_login(clerk)
    response = client.get(
        reverse("documents:search"), {"q": "chuyen doi so"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="search-results"')
    assert "<html" not in body


@pytest.mark.django_db
def test_search_page_query_count_does_not_grow(client, org_tree, clerk, django_assert_max_num_queries):
    office = org_tree["office"]
    for i in range(3):
        make(office, summary=f"Chuyển đổi số lần {i}", text="chuyển đổi số " * 20)
    client.force_login(clerk)
    url = reverse("documents:search")
    client.get(url, {"q": "chuyen doi so"})  # warm up the session
    # session (2), roles (2), tree (1), clearances (1), count, rows, saved searches, notifications badge, types,
    # handlers, and the session save (3).
    with django_assert_max_num_queries(15) as few:
        assert client.get(url, {"q": "chuyen doi so"}).status_code == 200
    for i in range(25):
        make(office, summary=f"Chuyển đổi số đợt {i}", text="chuyển đổi số " * 20, urgency=Urgency.FLASH)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"q": "chuyen doi so"})
    assert len(response.context["documents"]) == 20
    assert response.context["paginator"].count == 28


@pytest.mark.django_db
def test_login_required(client):
    response = client.get(reverse("documents:search"))
    assert response.status_code == 302


# --- saved searches -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_saved_searches_save_list_run_delete(client, docs, clerk, leader):
    client.force_login(clerk)
    response = client.post(
        reverse("documents:search_save"),
        {"name": "Chuyển đổi số", "q": "chuyen doi so", "urgency": "khan", "page": "3", "evil": "x"},
    )
    assert response.status_code == 302
    saved = SavedSearch.objects.get(user=clerk)
    assert saved.query == {"q": "chuyen doi so", "urgency": "khan"}
    # The same name replaces it.
    client.post(reverse("documents:search_save"), {"name": "Chuyển đổi số", "q": "chuyen doi so"})
    saved.refresh_from_db()
    assert saved.query == {"q": "chuyen doi so"}
    assert SavedSearch.objects.filter(user=clerk).count() == 1

    page = client.get(reverse("documents:search"))
    assert "Chuyển đổi số" in page.content.decode()
    run = client.get(reverse("documents:search_saved_run", args=[saved.pk]))
    assert run.status_code == 302 and run["Location"].endswith("?q=chuyen+doi+so")

    # Another user's saved search does not exist for them.
    client.force_login(leader)
    assert client.get(reverse("documents:search_saved_run", args=[saved.pk])).status_code == 404
    assert client.post(reverse("documents:search_saved_delete", args=[saved.pk])).status_code == 404
    assert "Chuyển đổi số" not in client.get(reverse("documents:search")).content.decode().split("saved-title")[1]

    client.force_login(clerk)
    assert client.post(reverse("documents:search_saved_delete", args=[saved.pk])).status_code == 302
    assert not SavedSearch.objects.filter(pk=saved.pk).exists()


@pytest.mark.django_db
def test_save_search_rejects_empty(clerk):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        search.save_search(actor=clerk, name="  ", query={"q": "x"})
    assert "name" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        search.save_search(actor=clerk, name="Trống", query={"page": "2"})
    assert "q" in raised.value.message_dict


@pytest.mark.django_db
def test_refresh_after_metadata_change(org_tree, clerk):
    doc = make(org_tree["office"], summary="Báo cáo")
    assert ids(search_incoming(clerk, q="hoi nghi")) == []
    doc.summary = "Báo cáo hội nghị"
    doc.save()
    search.refresh_search_text(doc)
    assert ids(search_incoming(clerk, q="hoi nghi")) == [doc.pk]
