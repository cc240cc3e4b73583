"""API for verifying signed PDFs (issue 5): the same verdict as the verification page, as JSON.

* ``POST /api/v1/signature-verifications/`` (multipart, field ``file``): verify an uploaded PDF — checked by
  ``partyhub.files.validate_upload``, read, verified and forgotten (nothing is stored);
* ``GET /api/v1/signature-verifications/outgoing/<pk>/``: verify the latest signed PDF of an outgoing document
  the caller may see (any other answers 404)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from partyhub.files import read_bytes, validate_upload

from .. import signing
from ..permissions import can_view_outgoing, files_allowed
from ..selectors import get_outgoing_or_404

_SIGNATURE = inline_serializer(
    "SignatureVerdict",
    {
        "index": serializers.IntegerField(),
        "field_name": serializers.CharField(),
        "signer_name": serializers.CharField(),
        "signer_organization": serializers.CharField(),
        "signer_subject": serializers.CharField(),
        "signed_at": serializers.DateTimeField(allow_null=True),
        "timestamped": serializers.BooleanField(),
        "intact": serializers.BooleanField(),
        "trusted": serializers.BooleanField(),
        "certificate_expired": serializers.BooleanField(),
        "expired_at_signing": serializers.BooleanField(),
        "revoked": serializers.BooleanField(),
        "modified_after_signing": serializers.BooleanField(),
        "modification_level": serializers.CharField(help_text="none, lta_updates, form_filling, annotations, other"),
        "by_partyhub": serializers.BooleanField(),
        "kind": serializers.CharField(help_text="signer, organization, or empty"),
        "certificate_fingerprint": serializers.CharField(),
        "summary": serializers.CharField(),
        "trust": serializers.CharField(),
        "changes": serializers.CharField(),
    },
)
_REPORT = inline_serializer(
    "VerificationReport",
    {
        "sha256": serializers.CharField(),
        "size": serializers.IntegerField(),
        "status": serializers.CharField(help_text="valid, untrusted, changed, invalid, unsigned or unreadable"),
        "headline": serializers.CharField(),
        "signed": serializers.BooleanField(),
        "intact": serializers.BooleanField(),
        "trusted": serializers.BooleanField(),
        "changed_after_signing": serializers.BooleanField(),
        "valid": serializers.BooleanField(),
        "signed_by_partyhub": serializers.BooleanField(),
        "issued_by_partyhub": serializers.BooleanField(),
        "signatures": _SIGNATURE.__class__(many=True),
        "documents": serializers.ListField(child=serializers.DictField()),
    },
)
_UPLOAD = inline_serializer("VerificationUpload", {"file": serializers.FileField()})


def _payload(request: Request, report) -> dict:
    data = report.as_dict()
    data["documents"] = [
        {
            "id": document.pk if can_view_outgoing(request.user, document) else None,
            "number_symbol": document.number_symbol,
            "organization": document.organization.name,
            "issued_on": document.issued_on.isoformat() if document.issued_on else None,
        }
        for document in report.documents
    ]
    return data


class SignatureVerificationView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Verify the signatures of an uploaded PDF (nothing is stored)",
        request={"multipart/form-data": _UPLOAD},
        responses={200: _REPORT, 400: OpenApiResponse(description="Not a PDF accepted here; the body says why.")},
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiValidationError({"file": [str(serializers.FileField.default_error_messages["required"])]})
        try:
            validate_upload(upload, kinds={"pdf"})
        except DjangoValidationError as exc:
            raise ApiValidationError({"file": exc.messages}) from exc
        upload.seek(0)
        return Response(_payload(request, signing.verify_pdf(upload.read())), status=status.HTTP_200_OK)


class OutgoingVerificationView(APIView):
    @extend_schema(
        summary="Verify the latest signed PDF of an outgoing document",
        responses={200: _REPORT, 404: OpenApiResponse(description="Not found, not visible to you, or no signed PDF.")},
    )
    def get(self, request: Request, pk: int) -> Response:
        document = get_outgoing_or_404(request.user, pk)
        stored = document.issued_file or document.signed_file
        if stored is None or not files_allowed(document.confidentiality):
            raise NotFound()
        report = signing.verify_pdf(read_bytes(stored))
        return Response(_payload(request, report))
