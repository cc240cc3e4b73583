# ruff: noqa: F811 - pytest fixtures imported from outgoing_support
"""The outgoing workflow's state machine (issue 5): drafting with versions, the sanitized body, the checks of a
draft's fields, and every transition — from the right state only, by the designated person only, each refusal
with its exact message, each step an event, an audit entry and a notification."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from documents.models import (
    Confidentiality,
    OutgoingEvent,
    OutgoingEventKind,
    OutgoingRecipient,
    OutgoingStatus,
    OutgoingVersion,
)
from documents.services import outgoing as services
from partyhub.models import AuditEntry, Notification

from .outgoing_support import BODY, clear, draft, flow, private_dir  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

S = OutgoingStatus


def refused(call, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        call(**kwargs)
    return raised.value.messages


def refused_field(call, field, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        call(**kwargs)
    return raised.value.message_dict[field]


# --- sanitizing -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "<p>Nội dung <strong>đậm</strong> <b>b</b> <em>nghiêng</em> <i>i</i> <u>gạch</u></p>",
            "<p>Nội dung <strong>đậm</strong> <b>b</b> <em>nghiêng</em> <i>i</i> <u>gạch</u></p>",
        ),
        ('<p onclick="alert(1)" style="color:red" class="x">Văn bản</p>', "<p>Văn bản</p>"),
        ("<script>alert('x')</script><p>Giữ lại</p>", "<p>Giữ lại</p>"),
        ("<style>p{color:red}</style><p>A</p>", "<p>A</p>"),
        ('<p><a href="javascript:alert(1)">liên kết</a> <img src=x onerror=alert(1)></p>', "<p>liên kết </p>"),
        ("<h1>Tiêu đề</h1><h3>Mục</h3><h4>Tiểu mục</h4>", "Tiêu đề<h3>Mục</h3><h4>Tiểu mục</h4>"),
        (
            "<ul><li>một</li></ul><ol><li>hai</li></ol><blockquote>trích</blockquote>",
            "<ul><li>một</li></ul><ol><li>hai</li></ol><blockquote>trích</blockquote>",
        ),
        (
            '<table style="width:100%" border="1"><thead><tr><th colspan="2" style="x">Cột</th></tr></thead>'
            '<tbody><tr><td rowspan="2">1</td><td colspan="999">2</td></tr></tbody></table>',
            '<table><thead><tr><th colspan="2">Cột</th></tr></thead>'
            '<tbody><tr><td rowspan="2">1</td><td>2</td></tr></tbody></table>',
        ),
        ("<p>dòng một<br>dòng hai</p><div><span>khối</span></div>", "<p>dòng một<br>dòng hai</p>khối"),
        ('<p><iframe src="https://example.org"></iframe>sau</p>', "<p>sau</p>"),
        ("<!-- ghi chú --><p>x</p>", "<p>x</p>"),
        ("<p> </p><p><br></p>", ""),
        ("", ""),
    ],
)
def test_body_is_sanitized_to_the_safe_subset(raw, clean):
    assert services.sanitize_body(raw) == clean


def test_a_saved_body_is_sanitized(flow):
    document = draft(flow, body="<p style='x' onmouseover='steal()'>Nội dung</p><script>bad()</script>")
    assert document.body == "<p>Nội dung</p>"
    assert OutgoingVersion.objects.get(document=document, number=1).fields["body"] == "<p>Nội dung</p>"


# --- drafting and versions ------------------------------------------------------------------------------------


def test_create_records_version_one_recipients_and_defaults(flow):
    document = draft(
        flow,
        recipients=[
            {"organization": flow.tree["cell_b"]},
            {"name": "Ủy ban nhân dân xã Gò Quao", "address": "ubnd@goquao.example"},
            {"organization": flow.tree["cell_a"], "name": "Chi bộ ấp Phước Hưng (để thực hiện)", "in_block": False},
            {"name": "", "address": ""},  # an empty row of the form
        ],
    )
    assert document.status == S.DRAFT
    assert document.drafted_by == flow.drafter
    # The signature block comes from the signer's position and the organization's kind.
    assert (document.signer_title, document.signer_name, document.collective_name) == (
        "BÍ THƯ",
        flow.leader.full_name,
        "BAN THƯỜNG VỤ",
    )
    assert document.file_copy_unit == "Văn phòng Đảng ủy"
    rows = list(
        OutgoingRecipient.objects.filter(document=document).values_list("order", "organization", "name", "in_block")
    )
    assert rows == [
        (1, flow.tree["cell_b"].pk, "Chi bộ ấp Hòa Bình", True),
        (2, None, "Ủy ban nhân dân xã Gò Quao", True),
        (3, flow.tree["cell_a"].pk, "Chi bộ ấp Phước Hưng (để thực hiện)", False),
    ]
    version = document.versions.get()
    assert version.number == 1
    assert version.fields["summary"] == document.summary
    assert [r["name"] for r in version.fields["recipients"]][:2] == ["Chi bộ ấp Hòa Bình", "Ủy ban nhân dân xã Gò Quao"]
    event = document.events.get()
    assert (event.kind, event.actor, event.version) == (OutgoingEventKind.CREATED, flow.drafter, version)
    assert AuditEntry.objects.filter(
        object_type="documents.outgoingdocument", object_id=str(document.pk), action="create"
    ).exists()


def test_every_save_adds_a_version_and_old_versions_stay(flow):
    document = draft(flow)
    services.outgoing_update(actor=flow.drafter, document=document, summary="Về chuyển đổi số, lần 2")
    services.outgoing_update(
        actor=flow.drafter, document=document, body=BODY + "<p>Thêm một đoạn.</p>", note="Thêm đoạn cuối"
    )
    versions = list(document.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert versions[0].fields["summary"] == "Về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ"
    assert versions[1].fields["summary"] == "Về chuyển đổi số, lần 2"
    assert versions[2].note == "Thêm đoạn cuối"
    changes = services.version_changes(versions[1], versions[2])
    assert changes.fields == []
    assert ("+", "Thêm một đoạn.") in changes.body_diff
    assert [str(label) for label in services.version_changes(versions[0], versions[1]).fields] == ["Summary"]
    assert list(document.events.values_list("kind", flat=True)) == ["created", "edited", "edited"]


@pytest.mark.parametrize(
    ("organization", "type_name", "message"),
    [
        ("cell_a", "Hướng dẫn", "Chi bộ ấp Phước Hưng may not issue a hướng dẫn."),
        ("cell_a", "Quy định", "Chi bộ ấp Phước Hưng may not issue a quy định."),
        ("standing", "Cương lĩnh", "Ban Thường vụ Đảng ủy xã Gò Quao may not issue a cương lĩnh."),
    ],
)
def test_the_type_must_be_issuable_by_the_organization(flow, organization, type_name, message):
    org = flow.tree[organization]
    actor = flow.cell_secretary if organization == "cell_a" else flow.drafter
    signer = flow.cell_secretary if organization == "cell_a" else flow.leader
    messages = refused_field(
        services.outgoing_create,
        "document_type",
        actor=actor,
        organization=org,
        document_type=flow.types[type_name],
        summary="Về tổ chức sinh hoạt chi bộ",
        signer=signer,
    )
    assert messages == [message]


def test_a_cell_may_issue_a_resolution(flow):
    document = draft(flow, actor=flow.cell_secretary, organization=flow.cell, signer=flow.cell_secretary, recipients=[])
    assert document.organization == flow.cell
    assert (document.signer_title, document.collective_name) == ("BÍ THƯ", "CHI BỘ")


def test_field_checks_have_exact_messages(flow):
    with pytest.raises(ValidationError) as raised:
        services.outgoing_create(
            actor=flow.drafter,
            organization=flow.standing,
            document_type=None,
            summary="  ",
            signer=flow.cell_secretary,  # a cell's secretary holds nothing in the commune committee
            reviewer=flow.outsider,
            copies=0,
            confidentiality="bí mật",
            recipients=[
                {"organization": flow.tree["province"]},
                {"organization": flow.standing},
                {"organization": flow.tree["cell_b"]},
                {"organization": flow.tree["cell_b"]},
                {"name": "", "address": "ubnd@example.test"},
            ],
        )
    errors = raised.value.message_dict
    assert errors["document_type"] == ["Choose the type of the document."]
    assert errors["summary"] == ["Enter the summary (trích yếu)."]
    assert errors["signer"] == [
        f"{flow.cell_secretary.full_name} holds no position in Ban Thường vụ Đảng ủy xã Gò Quao and cannot sign or "
        "review its documents."
    ]
    assert errors["reviewer"] == [
        f"{flow.outsider.full_name} holds no position in Ban Thường vụ Đảng ủy xã Gò Quao and cannot review its "
        "documents."
    ]
    assert errors["copies"] == ["Enter a number of copies from 1 to 10000."]
    assert errors["confidentiality"] == ["Choose a confidentiality level from the list."]
    assert errors["recipients"] == [
        "Recipient 1: Tỉnh ủy An Giang does not receive documents in PartyHub.",
        "Recipient 2: a document is not sent to its own issuing organization.",
        "Recipient 4: Chi bộ ấp Hòa Bình is listed twice.",
        "Recipient 5: enter the name of the recipient.",
    ]
    assert not OutgoingVersion.objects.exists()


@pytest.mark.parametrize("who", ["member", "outsider", "other_clerk", "admin"])
def test_only_the_office_drafts(flow, who):
    messages = refused_field(
        services.outgoing_create,
        "organization",
        actor=getattr(flow, who),
        organization=flow.standing,
        document_type=flow.types["Nghị quyết"],
        summary="Về việc thử",
    )
    assert messages == ["You may not draft documents for this organization."]


def test_a_cell_secretary_drafts_for_their_cell_only(flow):
    messages = refused_field(
        services.outgoing_create,
        "organization",
        actor=flow.cell_secretary,
        organization=flow.tree["cell_b"],
        document_type=flow.types["Nghị quyết"],
        summary="Về việc thử",
    )
    assert messages == ["You may not draft documents for this organization."]


def test_classified_drafts_need_a_clearance_and_keep_no_text(flow):
    messages = refused_field(
        services.outgoing_create,
        "confidentiality",
        actor=flow.drafter,
        organization=flow.standing,
        document_type=flow.types["Nghị quyết"],
        summary="Về công tác bảo vệ chính trị nội bộ",
        confidentiality=Confidentiality.SECRET,
    )
    assert messages == ["You are not cleared for documents of this level."]
    clear(flow.drafter)
    messages = refused_field(
        services.outgoing_create,
        "body",
        actor=flow.drafter,
        organization=flow.standing,
        document_type=flow.types["Nghị quyết"],
        summary="Về công tác bảo vệ chính trị nội bộ",
        confidentiality=Confidentiality.SECRET,
        body="<p>Nội dung mật</p>",
    )
    assert messages == [
        "Only the register entry of a document of this level may be kept, never its text: write the text outside "
        "PartyHub and leave the body empty."
    ]
    messages = refused_field(
        services.outgoing_create,
        "signer",
        actor=flow.drafter,
        organization=flow.standing,
        document_type=flow.types["Nghị quyết"],
        summary="Về công tác bảo vệ chính trị nội bộ",
        confidentiality=Confidentiality.SECRET,
        body="",
        signer=flow.leader,
    )
    assert messages == [f"{flow.leader.full_name} is not cleared for documents of this level."]


# --- the state machine ----------------------------------------------------------------------------------------


def _submitted(flow, **values):
    document = draft(flow, **values)
    return services.outgoing_submit(actor=flow.drafter, document=document)


def test_review_cycle_submit_return_resubmit_approve(flow):
    document = draft(flow)
    document = services.outgoing_submit(actor=flow.drafter, document=document, comment="Xin ý kiến")
    assert document.status == S.SUBMITTED and document.submitted_at is not None
    note = Notification.objects.get(recipient=flow.leader)
    assert note.title == f"Outgoing document to review: {document.summary}"
    assert note.url == f"/documents/outgoing/{document.pk}/"

    document = services.outgoing_return(actor=flow.leader, document=document, comment="Bổ sung phần giao nhiệm vụ.")
    assert document.status == S.RETURNED
    assert Notification.objects.get(recipient=flow.drafter).title == (
        f"Your draft was returned with comments: {document.summary}"
    )
    document = services.outgoing_update(actor=flow.drafter, document=document, body=BODY + "<p>Giao nhiệm vụ.</p>")
    assert document.status == S.RETURNED
    document = services.outgoing_submit(actor=flow.drafter, document=document)
    document = services.outgoing_approve(actor=flow.leader, document=document, comment="Đồng ý")
    assert document.status == S.APPROVED
    assert document.approved_by == flow.leader and document.final_file is not None and document.page_count >= 1
    kinds = list(document.events.values_list("kind", "from_status", "to_status"))
    assert kinds == [
        ("created", "", "draft"),
        ("submitted", "draft", "submitted"),
        ("returned", "submitted", "returned"),
        ("edited", "returned", "returned"),
        ("submitted", "returned", "submitted"),
        ("approved", "submitted", "approved"),
    ]
    assert document.events.get(kind="returned").comment == "Bổ sung phần giao nhiệm vụ."
    transitions = AuditEntry.objects.filter(
        object_type="documents.outgoingdocument", object_id=str(document.pk), action="other"
    ).order_by("id")
    assert [e.changes["transition"] for e in transitions] == [
        "created",
        "submitted",
        "returned",
        "edited",
        "submitted",
        "approved",
    ]
    # The signer is the reviewer here: the drafter is told, nobody else.
    assert Notification.objects.filter(
        recipient=flow.drafter, title=f"Your draft was approved: {document.summary}"
    ).exists()


def test_a_named_reviewer_reviews_and_the_signer_is_told_to_sign(flow):
    document = _submitted(flow, reviewer=flow.deputy)
    assert refused(services.outgoing_approve, actor=flow.leader, document=document) == [
        "Only the designated reviewer can approve this document."
    ]
    document = services.outgoing_approve(actor=flow.deputy, document=document)
    assert Notification.objects.filter(
        recipient=flow.leader, title=f"Outgoing document to sign: {document.summary}"
    ).exists()
    assert refused(services.outgoing_sign, actor=flow.deputy, document=document) == [
        "Only the designated signer can sign this document."
    ]


def test_wrong_state_refusals(flow):
    document = draft(flow)
    assert refused(services.outgoing_return, actor=flow.leader, document=document, comment="x") == [
        "Only a document waiting for review can be returned."
    ]
    assert refused(services.outgoing_approve, actor=flow.leader, document=document) == [
        "Only a document waiting for review can be approved."
    ]
    assert refused(services.outgoing_sign, actor=flow.leader, document=document) == [
        "Only an approved document can be signed."
    ]
    assert refused(services.outgoing_issue, actor=flow.clerk, document=document) == [
        "Only a document signed by its signer can be issued."
    ]
    assert refused(services.outgoing_recall, actor=flow.clerk, document=document, reason="x") == [
        "Only an issued document can be recalled."
    ]
    assert refused(services.outgoing_correct, actor=flow.drafter, document=document) == [
        "Only an issued or recalled document can be corrected."
    ]
    document = services.outgoing_submit(actor=flow.drafter, document=document)
    assert refused(services.outgoing_submit, actor=flow.drafter, document=document) == [
        "Only a draft or a returned document can be submitted."
    ]
    assert refused(services.outgoing_update, actor=flow.drafter, document=document, summary="x") == [
        "This document is waiting for review: ask the reviewer to return it before changing it."
    ]
    assert refused(services.outgoing_sign, actor=flow.leader, document=document) == [
        "Only an approved document can be signed."
    ]
    document = services.outgoing_approve(actor=flow.leader, document=document)
    for call, kwargs in (
        (services.outgoing_update, {"summary": "Sửa sau khi duyệt"}),
        (services.outgoing_update, {"body": "<p>Sửa</p>"}),
    ):
        assert refused(call, actor=flow.drafter, document=document, **kwargs) == [
            "An approved document can no longer be changed."
        ]
    assert refused(services.outgoing_approve, actor=flow.leader, document=document) == [
        "Only a document waiting for review can be approved."
    ]
    assert refused(services.outgoing_return, actor=flow.leader, document=document, comment="x") == [
        "Only a document waiting for review can be returned."
    ]
    assert refused(services.outgoing_issue, actor=flow.clerk, document=document) == [
        "Only a document signed by its signer can be issued."
    ]
    document.refresh_from_db()
    assert document.summary == "Về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ"
    assert document.versions.count() == 1


def test_wrong_person_refusals(flow):
    document = draft(flow)
    # The clerk sees the document (office) but did not draft it.
    assert refused(services.outgoing_update, actor=flow.clerk, document=document, summary="x") == [
        "Only the drafter can change this draft."
    ]
    assert refused(services.outgoing_submit, actor=flow.leader, document=document) == [
        "Only the drafter can submit this document."
    ]
    document = services.outgoing_submit(actor=flow.drafter, document=document)
    for actor in (flow.drafter, flow.clerk, flow.deputy):
        assert refused(services.outgoing_approve, actor=actor, document=document) == [
            "Only the designated reviewer can approve this document."
        ]
        assert refused(services.outgoing_return, actor=actor, document=document, comment="x") == [
            "Only the designated reviewer can return this document."
        ]
    assert refused_field(services.outgoing_return, "comment", actor=flow.leader, document=document, comment="  ") == [
        "Write what must be changed."
    ]
    document = services.outgoing_approve(actor=flow.leader, document=document)
    for actor in (flow.drafter, flow.clerk, flow.deputy):
        assert refused(services.outgoing_sign, actor=actor, document=document) == [
            "Only the designated signer can sign this document."
        ]
    assert refused(services.outgoing_void, actor=flow.deputy, document=document, reason="x") == [
        "You may not void this document."
    ]
    assert refused_field(services.outgoing_void, "reason", actor=flow.drafter, document=document, reason=" ") == [
        "Give the reason for voiding this document."
    ]


@pytest.mark.parametrize("who", ["member", "outsider", "other_clerk"])
def test_people_who_cannot_see_it_are_denied_everything(flow, who):
    user = getattr(flow, who)
    document = draft(flow)
    calls = [
        (services.outgoing_update, {"summary": "x"}),
        (services.outgoing_submit, {}),
        (services.outgoing_return, {"comment": "x"}),
        (services.outgoing_approve, {}),
        (services.outgoing_sign, {}),
        (services.outgoing_issue, {}),
        (services.outgoing_void, {"reason": "x"}),
        (services.outgoing_recall, {"reason": "x"}),
        (services.outgoing_correct, {}),
    ]
    for call, kwargs in calls:
        with pytest.raises(PermissionDenied):
            call(actor=user, document=document, **kwargs)


def test_submit_needs_a_signer_and_a_body(flow):
    document = draft(flow, signer=None)
    assert refused_field(services.outgoing_submit, "signer", actor=flow.drafter, document=document) == [
        "Choose the signer before submitting."
    ]
    document = draft(flow, body="<p> </p>")
    assert refused_field(services.outgoing_submit, "body", actor=flow.drafter, document=document) == [
        "Write the body before submitting."
    ]


def test_void_before_issue_keeps_the_rows_and_tells_the_people(flow):
    document = _submitted(flow)
    document = services.outgoing_void(actor=flow.drafter, document=document, reason="Trùng với văn bản khác")
    assert document.status == S.VOID and document.void_reason == "Trùng với văn bản khác"
    assert document.number is None and document.register is None
    assert document.events.last().kind == OutgoingEventKind.VOIDED
    assert Notification.objects.filter(recipient=flow.leader, title=f"Voided: {document.summary}").exists()
    assert refused(services.outgoing_void, actor=flow.drafter, document=document, reason="x") == [
        "This document is already void."
    ]
    assert refused(services.outgoing_update, actor=flow.drafter, document=document, summary="x") == [
        "A voided document cannot be changed."
    ]
    assert refused(services.outgoing_submit, actor=flow.drafter, document=document) == [
        "Only a draft or a returned document can be submitted."
    ]


def test_the_clerk_may_void_a_draft_of_the_organization(flow):
    document = draft(flow)
    document = services.outgoing_void(actor=flow.clerk, document=document, reason="Không ban hành nữa")
    assert document.status == S.VOID
    assert OutgoingEvent.objects.filter(document=document, kind="voided", actor=flow.clerk).exists()
