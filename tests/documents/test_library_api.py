"""API of the library: list and search, one publication, bookmarks, publish and withdraw, and the public
endpoint (anonymous, read-only, public texts only). Admin pages of the library and of recipients."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents.models import Audience, Publication
from documents.services.library import publication_create

from .dist_support import issued_document, private_storage_in


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    private_storage_in(settings, tmp_path / "private")


@pytest.fixture(scope="module")
def pdf():
    from partyhub.pdf import html_to_pdf

    return html_to_pdf("<p>Chương trình hành động</p>").pdf


@pytest.fixture
def documents(org_tree, document_types, clerk, pdf):
    summaries = ["Nghị quyết về chuyển đổi số", "Kế hoạch tuyên truyền", "Chương trình kiểm tra nội bộ"]
    return [
        issued_document(
            organization=org_tree["standing"],
            document_type=document_types["Nghị quyết"],
            drafted_by=clerk,
            pdf=pdf,
            number=number,
            summary=summary,
        )
        for number, summary in enumerate(summaries, start=1)
    ]


@pytest.fixture
def published(documents, org_tree, clerk):
    public = publication_create(actor=clerk, document=documents[0], audience=Audience.PUBLIC)
    members = publication_create(
        actor=clerk, document=documents[1], audience=Audience.ORGANIZATION, organization=org_tree["commune"]
    )
    committee = publication_create(
        actor=clerk, document=documents[2], audience=Audience.COMMITTEE, organization=org_tree["commune"]
    )
    return {"public": public, "members": members, "committee": committee}


def test_members_list_and_search_what_they_may_read(published, member_user, client):
    client.force_login(member_user)
    data = client.get("/api/v1/library/").json()
    assert data["count"] == 2
    titles = [row["display_title"] for row in data["results"]]
    assert titles == ["Kế hoạch tuyên truyền", "Nghị quyết về chuyển đổi số"]
    row = data["results"][1]
    assert row["document"]["number_symbol"] == "01-NQ/ĐU" and row["audience"] == "public"
    assert row["file_url"] == reverse("files:download", args=[published["public"].document.issued_file_id])
    found = client.get("/api/v1/library/", {"q": "ke hoach TUYEN truyen"}).json()
    assert [r["id"] for r in found["results"]] == [published["members"].pk]
    assert client.get(f"/api/v1/library/{published['committee'].pk}/").status_code == 404
    bad = client.get("/api/v1/library/", {"year": "abc"})
    assert bad.status_code == 400 and "year" in bad.json()


def test_bookmarks_through_the_api(published, member_user, client):
    client.force_login(member_user)
    pk = published["members"].pk
    assert client.post(f"/api/v1/library/{pk}/bookmark/").json() == {"bookmarked": True}
    mine = client.get("/api/v1/library/bookmarks/").json()
    assert [r["id"] for r in mine["results"]] == [pk] and mine["results"][0]["bookmarked"] is True
    assert [r["id"] for r in client.get("/api/v1/library/", {"bookmarked": "true"}).json()["results"]] == [pk]
    assert client.post(f"/api/v1/library/{pk}/bookmark/").json() == {"bookmarked": False}
    assert client.post(f"/api/v1/library/{published['committee'].pk}/bookmark/").status_code == 404


def test_publish_and_withdraw_through_the_api(documents, org_tree, clerk, member_user, client):
    client.force_login(member_user)
    body = {"document": documents[1].pk, "audience": "cell", "organization": org_tree["cell_a"].pk}
    assert client.post("/api/v1/library/", body, content_type="application/json").status_code == 404
    client.force_login(clerk)
    bad = client.post(
        "/api/v1/library/",
        {"document": documents[1].pk, "audience": "cell", "organization": org_tree["commune"].pk},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["organization"] == ["Choose a cell for this audience."]
    created = client.post("/api/v1/library/", body, content_type="application/json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created.json()["organization_name"] == "Chi bộ ấp Phước Hưng"
    client.force_login(member_user)
    assert client.get(f"/api/v1/library/{pk}/").status_code == 200
    assert client.post(f"/api/v1/library/{pk}/withdraw/").status_code == 404
    client.force_login(clerk)
    assert client.post(f"/api/v1/library/{pk}/withdraw/").status_code == 204
    again = client.post(f"/api/v1/library/{pk}/withdraw/")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This publication was already withdrawn."]}
    client.force_login(member_user)
    assert client.get(f"/api/v1/library/{pk}/").status_code == 404
    assert Publication.objects.get(pk=pk).withdrawn_by == clerk


def test_the_public_endpoint_is_anonymous_read_only_and_public_only(published, client):
    assert client.get("/api/v1/library/").status_code in (401, 403)
    data = client.get("/api/v1/public-library/").json()
    assert [r["id"] for r in data["results"]] == [published["public"].pk]
    assert "audience" not in data["results"][0] and "bookmarked" not in data["results"][0]
    assert client.get(f"/api/v1/public-library/{published['public'].pk}/").status_code == 200
    assert client.get(f"/api/v1/public-library/{published['members'].pk}/").status_code == 404
    assert client.post("/api/v1/public-library/", {}).status_code in (403, 405)
    found = client.get("/api/v1/public-library/", {"q": "tuyen truyen"}).json()
    assert found["count"] == 0


def test_the_library_api_list_has_a_pinned_number_of_queries(
    published, documents, org_tree, clerk, member_user, client, django_assert_num_queries
):
    client.force_login(member_user)
    client.get("/api/v1/library/")
    # session and user (3 more to save the session), library facts (member, organizations above, positions),
    # count, rows.
    with django_assert_num_queries(10):
        assert client.get("/api/v1/library/").json()["count"] == 2


def test_admin_pages(published, admin_user, client, org_tree, documents):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from documents.models import OutgoingRecipient

    OutgoingRecipient.objects.create(document=documents[0], organization=org_tree["cell_a"], name="Chi bộ")
    device = TOTPDevice.objects.create(user=admin_user, name="test", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    for model in ("publication", "bookmark", "outgoingrecipient"):
        response = client.get(reverse(f"admin:documents_{model}_changelist"))
        assert response.status_code == 200, model
    page = client.get(reverse("admin:documents_publication_changelist")).content.decode()
    assert "Withdraw the selected publications" in page
    response = client.post(
        reverse("admin:documents_publication_changelist"),
        {"action": "withdraw_selected", "_selected_action": [published["members"].pk]},
    )
    assert response.status_code == 302
    assert Publication.objects.get(pk=published["members"].pk).withdrawn_at is not None
