# ruff: noqa: F811 - pytest fixtures imported from outgoing_support
"""The admin of outgoing documents: format profiles and issuer settings are data an administrator edits; the
workflow's rows (documents with their versions, history and recipients; versions; events) are read-only, and a
classified document is listed only to an administrator cleared for it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from documents.models import Confidentiality, FormatProfile, IssuerSettings, OutgoingDocument

from .outgoing_support import clear, draft, flow, private_dir  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, flow):
    device = TOTPDevice.objects.create(user=flow.admin, name="test", confirmed=True)
    client.force_login(flow.admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_changelists_load_and_the_workflow_rows_are_read_only(flow, admin_client):
    clear(flow.drafter, Confidentiality.SECRET)
    secret = draft(flow, confidentiality=Confidentiality.SECRET, body="", signer=None, summary="Về bảo vệ nội bộ")
    document = draft(flow)
    for name in ("formatprofile", "issuersettings", "outgoingdocument", "outgoingversion", "outgoingevent"):
        response = admin_client.get(reverse(f"admin:documents_{name}_changelist"), {"q": "Gò Quao"})
        assert response.status_code == 200, name
    listing = admin_client.get(reverse("admin:documents_outgoingdocument_changelist")).content.decode()
    assert document.summary in listing and secret.summary not in listing
    page = admin_client.get(reverse("admin:documents_outgoingdocument_change", args=[document.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Draft created" in html and "Chi bộ ấp Phước Hưng" in html  # history and recipients inlines
    assert 'name="summary"' not in html  # read-only
    assert admin_client.get(reverse("admin:documents_outgoingdocument_add")).status_code == 403
    assert admin_client.get(reverse("admin:documents_outgoingdocument_change", args=[secret.pk])).status_code in (
        302,
        404,
    )
    response = admin_client.post(
        reverse("admin:documents_outgoingdocument_delete", args=[document.pk]), {"post": "yes"}
    )
    assert response.status_code == 403 and OutgoingDocument.objects.filter(pk=document.pk).exists()


def test_a_second_profile_is_data(flow, admin_client):
    hd36 = FormatProfile.objects.get(code="HD36")
    response = admin_client.get(reverse("admin:documents_formatprofile_change", args=[hd36.pk]))
    assert response.status_code == 200 and 'name="date_line"' in response.content.decode()
    second = FormatProfile.objects.create(code="HD05", name="Hướng dẫn 05-HD/VPTW", recipient_line_suffix=";")
    response = admin_client.post(
        reverse("admin:documents_issuersettings_add"),
        {"organization": flow.standing.pk, "format_profile": second.pk, "collective_name": "BAN THƯỜNG VỤ"},
    )
    assert response.status_code == 302
    assert IssuerSettings.objects.get(organization=flow.standing).format_profile == second
