"""Helpers of the distribution and library tests: an issued outgoing document made straight in the tables
(status issued, number, register entry, the signed PDF as its issued file), as the workflow leaves it.
Pass the bytes of the issued file (signed with ``documents.signing`` and the test PKI of
``tests/documents/conftest.py`` where the signature matters)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from documents.models import OutgoingDocument, OutgoingRecipient, OutgoingStatus
from documents.services.registering import register_for
from partyhub.files import store_bytes


def issued_document(
    *,
    organization,
    document_type,
    drafted_by,
    number: int = 5,
    summary: str = "Về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ",
    pdf: bytes | None = None,
    confidentiality: str = "",
    corrects: OutgoingDocument | None = None,
    issued_on: datetime.date | None = None,
    recipients=(),
) -> OutgoingDocument:
    """An issued document. ``recipients``: organizations (internal) or names (outside)."""
    issued_on = issued_on or timezone.localdate()
    register = register_for(organization, "outgoing", secret=bool(confidentiality))
    number_symbol = f"{number:02d}-{document_type.abbreviation}/{organization.code}"
    issued_file = None
    if pdf is not None:
        name = f"{number_symbol.replace('/', '-')}.pdf"
        issued_file = store_bytes(pdf, name=name, content_type="application/pdf", actor=drafted_by)
    document = OutgoingDocument.objects.create(
        organization=organization,
        document_type=document_type,
        status=OutgoingStatus.ISSUED,
        summary=summary,
        body="<p>Nội dung</p>",
        confidentiality=confidentiality,
        drafted_by=drafted_by,
        signer_name="Nguyễn Văn Đức",
        signer_title="BÍ THƯ",
        register=register,
        period="term-test",
        number=number,
        number_symbol=number_symbol,
        issued_on=issued_on,
        issued_at=timezone.now(),
        issued_by=drafted_by,
        issued_file=issued_file,
        page_count=1 if pdf else None,
        corrects=corrects,
    )
    for order, recipient in enumerate(recipients):
        if isinstance(recipient, str):
            OutgoingRecipient.objects.create(document=document, name=recipient, order=order)
        else:
            OutgoingRecipient.objects.create(
                document=document, organization=recipient, name=recipient.name, order=order
            )
    return document


def private_storage_in(settings, path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(path)}},
    }
