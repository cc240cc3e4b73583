"""Fixtures and helpers of the outgoing workflow tests (issue 5, flow): an organization tree with terms, the
people of the workflow, and drafts made through the service."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from documents.models import Confidentiality
from documents.services import outgoing as services
from members.models import PositionTitle
from tests.factories import MemberFactory, PositionFactory, PositionTitleFactory, TermFactory, UserFactory

from .factories import ClearanceFactory

BODY = (
    "<p>Ban Thường vụ Đảng ủy xã Gò Quao quyết nghị đẩy mạnh chuyển đổi số trong sinh hoạt chi bộ.</p>"
    "<p>Giao Văn phòng Đảng ủy hướng dẫn các chi bộ thực hiện.</p>"
)


@pytest.fixture
def private_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    settings.PARTYHUB_X_ACCEL_PREFIX = ""
    return tmp_path / "private"


def holder(username, organization, title, position_org, **flags):
    """A user who is a member of ``organization`` and holds ``title`` in ``position_org`` since 2025."""
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
def flow(
    org_tree, clerk, leader, handler, cell_secretary, member_user, outsider, admin_user, document_types, private_dir
):
    """The issuing side: the standing committee of the commune issues, the handler drafts, the leader (Bí thư,
    "BÍ THƯ" in signature blocks) reviews and signs, the clerk issues. Every organization has a running term."""
    for key in ("commune", "standing", "office", "cell_a", "cell_b", "other_commune", "other_cell"):
        TermFactory(organization=org_tree[key], name="2025–2030", start_date=datetime.date(2025, 9, 1))
    PositionTitle.objects.filter(name="Bí thư Đảng ủy").update(signature_title="BÍ THƯ")
    PositionTitle.objects.filter(name="Bí thư chi bộ").update(signature_title="BÍ THƯ")
    deputy = holder("deputy", org_tree["cell_b"], "Phó Bí thư Đảng ủy", org_tree["commune"], grants_leader=True)
    PositionTitle.objects.filter(name="Phó Bí thư Đảng ủy").update(signature_title="PHÓ BÍ THƯ")
    other_clerk = holder(
        "otherclerk", org_tree["other_cell"], "Văn thư xã khác", org_tree["other_commune"], grants_clerk=True
    )
    return SimpleNamespace(
        tree=org_tree,
        standing=org_tree["standing"],
        commune=org_tree["commune"],
        cell=org_tree["cell_a"],
        types=document_types,
        drafter=handler,
        leader=leader,
        deputy=deputy,
        clerk=clerk,
        other_clerk=other_clerk,
        cell_secretary=cell_secretary,
        member=member_user,
        outsider=outsider,
        admin=admin_user,
    )


def clear(user, level=Confidentiality.TOP_SECRET, by=None):
    return ClearanceFactory(user=user, level=level, granted_by=by)


def draft(flow, *, actor=None, organization=None, type_name="Nghị quyết", **values):
    """A draft of the standing committee (by default) made through ``outgoing_create``."""
    values.setdefault("summary", "Về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ")
    values.setdefault("body", BODY)
    values.setdefault("signer", flow.leader)
    values.setdefault("recipients", [{"organization": flow.tree["cell_a"]}, {"name": "Ủy ban nhân dân xã"}])
    return services.outgoing_create(
        actor=actor or flow.drafter,
        organization=organization or flow.standing,
        document_type=flow.types[type_name],
        **values,
    )


def signed(flow, **values):
    """A draft taken through submit, approve (final PDF rendered) and the signer's signature."""
    from documents.services import outgoing as services

    document = draft(flow, **values)
    document = services.outgoing_submit(actor=document.drafted_by, document=document)
    document = services.outgoing_approve(actor=document.reviewer or document.signer, document=document)
    return services.outgoing_sign(actor=document.signer, document=document)


def read_stored(stored_file) -> bytes:
    from partyhub.files import private_storage

    with private_storage().open(stored_file.storage_name, "rb") as handle:
        return handle.read()


def stored_paths(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def plain_pdf(text: str = "Báo cáo tổng kết công tác năm 2026 của Chi bộ") -> bytes:
    """A finished PDF written outside PartyHub (no form fields, no signature block of ours)."""
    from partyhub.pdf import html_to_pdf

    html = (
        '<html><head><meta charset="utf-8"><style>body{font-family:"Liberation Serif";font-size:14pt}</style>'
        f"</head><body><h1>BÁO CÁO</h1><p>{text}</p></body></html>"
    )
    return html_to_pdf(html).pdf


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)


def minimal_docx(text: str = "Kế hoạch tổ chức đại hội chi bộ nhiệm kỳ 2025–2030") -> bytes:
    """A small, valid Word document (one paragraph)."""
    import io
    import zipfile

    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()
