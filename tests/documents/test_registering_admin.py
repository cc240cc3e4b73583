"""The documents admin: every model listed with search and filters; entries and counters read-only; the
access rule (classified entries) holds; document types seeded by the data migration."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from documents import models
from documents.models import Confidentiality, DocumentType, IncomingStatus

from .factories import IncomingDocumentFactory, RegisterFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("document_types")]


@pytest.fixture
def admin_client(client, admin_user):
    device = TOTPDevice.objects.create(user=admin_user, name="test", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_every_documents_model_is_registered():
    from django.apps import apps

    for model in apps.get_app_config("documents").get_models():
        assert admin.site.is_registered(model), model


def test_changelists_load_with_search(admin_client, org_tree):
    register = RegisterFactory(organization=org_tree["commune"])
    IncomingDocumentFactory(
        organization=org_tree["commune"], register=register, period="2026", number=1, status=IncomingStatus.REGISTERED
    )
    for model in (
        models.DocumentType,
        models.Register,
        models.RegisterCounter,
        models.IncomingDocument,
        models.DocumentFile,
        models.SignatureCheck,
        models.Directive,
        models.Assignment,
        models.HandlingEntry,
        models.SavedSearch,
        models.Clearance,
    ):
        url = reverse(f"admin:documents_{model._meta.model_name}_changelist")
        assert admin_client.get(url, {"q": "Gò Quao"}).status_code == 200, model


def test_entries_and_counters_are_read_only_and_classified_hidden(admin_client, org_tree):
    register = RegisterFactory(organization=org_tree["commune"])
    entry = IncomingDocumentFactory(
        organization=org_tree["commune"],
        register=register,
        period="2026",
        number=1,
        status=IncomingStatus.REGISTERED,
        summary="Văn bản thường",
    )
    secret = IncomingDocumentFactory(
        organization=org_tree["commune"],
        register=register,
        period="2026",
        number=2,
        status=IncomingStatus.REGISTERED,
        confidentiality=Confidentiality.SECRET,
        summary="Nội dung mật",
    )
    change = reverse("admin:documents_incomingdocument_change", args=[entry.pk])
    response = admin_client.post(change, {"summary": "sửa"})
    entry.refresh_from_db()
    assert entry.summary == "Văn bản thường"
    assert admin_client.post(reverse("admin:documents_incomingdocument_delete", args=[entry.pk])).status_code == 403
    listing = admin_client.get(reverse("admin:documents_incomingdocument_changelist")).content.decode()
    assert "Văn bản thường" in listing and "Nội dung mật" not in listing
    response = admin_client.get(reverse("admin:documents_incomingdocument_change", args=[secret.pk]))
    assert response.status_code == 302  # not in the queryset: "does not exist" redirect
    assert admin_client.get(reverse("admin:documents_registercounter_add")).status_code == 403


def test_seeded_document_types():
    assert DocumentType.objects.get(name="Nghị quyết").abbreviation == "NQ"
    assert DocumentType.objects.get(name="Chương trình").abbreviation == "CTr"
    assert DocumentType.objects.get(name="Quy định").issuable_by_kinds and "cell" not in (
        DocumentType.objects.get(name="Hướng dẫn").issuable_by_kinds
    )
    assert "standing_committee" in DocumentType.objects.get(name="Hướng dẫn").issuable_by_kinds
    assert DocumentType.objects.filter(is_administrative=True, name="Giấy mời").exists()
    assert DocumentType.objects.count() >= 29
