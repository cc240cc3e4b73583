"""The record form and the field rules of ``members.services.records``: each bad input gives its message."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from members.forms import MemberRecordForm
from members.models import Member, ProbationRule
from members.services import records
from tests.factories import MemberFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()

GOOD = {
    "full_name": "  Nguyễn   Văn An ",
    "sex": "male",
    "date_of_birth": "1980-03-15",
    "youth_union_date": "1996-03-26",
    "admission_date": "2005-05-19",
    "admission_ceremony_date": "2005-06-01",
    "official_date": "2006-06-01",
    "id_number": "091080001234",
    "phone": "+84 912.345.678",
    "personal_record_number": "012345-kg",
    "party_card_number": "18 012 345",
    "general_education": "12/12",
    "ethnicity": "Kinh",
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def form_errors(**changes):
    data = {**GOOD, **changes}
    form = MemberRecordForm(data=data)
    assert not form.is_valid()
    return form.errors


def test_good_record_is_normalized():
    form = MemberRecordForm(data=GOOD)
    assert form.is_valid(), form.errors
    values = form.record_values()
    assert values["full_name"] == "Nguyễn Văn An"
    assert values["phone"] == "0912345678"
    assert values["personal_record_number"] == "012345KG"
    assert values["party_card_number"] == "18012345"
    assert values["id_number"] == "091080001234"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": "  "}, "full_name", "This field is required."),
        ({"full_name": "Nguyễn Văn 4n"}, "full_name", "A name may contain only letters"),
        (
            {"date_of_birth": (TODAY + datetime.timedelta(days=1)).isoformat()},
            "date_of_birth",
            "This date cannot be in the future.",
        ),
        (
            {"official_date": (TODAY + datetime.timedelta(days=3)).isoformat()},
            "official_date",
            "This date cannot be in the future.",
        ),
        (
            {"youth_union_date": "1979-01-01"},
            "youth_union_date",
            "The Youth Union date must be after the date of birth.",
        ),
        (
            {"admission_date": "1995-01-01", "youth_union_date": ""},
            "admission_date",
            "at least 18 years old when admitted; on 01/01/1995 this person was 14.",
        ),
        (
            {"admission_date": "1996-01-01"},
            "admission_date",
            "The admission date must be after the Youth Union date (26/03/1996).",
        ),
        (
            {"admission_date": "1970-01-01", "youth_union_date": ""},
            "admission_date",
            "The admission date must be after the date of birth.",
        ),
        (
            {"admission_ceremony_date": "2005-05-01"},
            "admission_ceremony_date",
            "The admission ceremony cannot be before the admission decision (19/05/2005).",
        ),
        (
            {"official_date": "2005-06-01"},
            "official_date",
            "The date of becoming official must be after the admission ceremony (01/06/2005).",
        ),
        ({"id_number": "09108000123"}, "id_number", "The citizen ID number has exactly 12 digits."),
        ({"id_number": "09108000123A"}, "id_number", "The citizen ID number has exactly 12 digits."),
        ({"id_number": "099080001234"}, "id_number", "must be a province code (001 to 096)"),
        ({"id_number": "091081001234"}, "id_number", "does not match the date of birth"),
        ({"id_number": "091180001234"}, "id_number", "does not match the sex"),
        ({"phone": "0123456789"}, "phone", "Enter a Vietnamese phone number"),
        ({"phone": "09123456"}, "phone", "Enter a Vietnamese phone number"),
        (
            {"personal_record_number": "12345KG"},
            "personal_record_number",
            "6 digits followed by the province letters, e.g. 012345KG.",
        ),
        ({"personal_record_number": "012345"}, "personal_record_number", "6 digits followed by the province letters"),
        (
            {"party_card_number": "18-012A"},
            "party_card_number",
            "The party card number is made of digits only (6 to 12 of them).",
        ),
        ({"general_education": "lớp 12"}, "general_education", "e.g. 12/12 or 9/10"),
    ],
)
def test_each_bad_input_says_what_is_wrong(changes, field, message):
    errors = form_errors(**changes)
    assert field in errors, errors
    assert any(message in text for text in errors[field]), errors[field]


def test_minimum_age_comes_from_the_probation_rule():
    ProbationRule.objects.create(source="Điều lệ (test)", valid_from=datetime.date(2000, 1, 1), min_admission_age=21)
    errors = form_errors(admission_date="2000-06-01", admission_ceremony_date="", official_date="", youth_union_date="")
    assert "at least 21 years old" in errors["admission_date"][0]


def test_landline_and_mobile_phones_are_accepted():
    for phone in ("0296 3840 123", "0386123456", "84912345678"):
        form = MemberRecordForm(data={**GOOD, "phone": phone})
        assert form.is_valid(), (phone, form.errors)


def test_card_and_record_numbers_are_unique_with_a_clear_message():
    MemberFactory(party_card_number="18012345", personal_record_number="012345KG")
    errors = form_errors()
    assert errors["party_card_number"] == ["Another member already has this party card number."]
    assert errors["personal_record_number"] == ["Another member already has this personal record number."]


def test_the_same_member_keeps_its_own_numbers():
    member = MemberFactory(party_card_number="18012345", personal_record_number="012345KG")
    form = MemberRecordForm(data=GOOD, instance=member)
    assert form.is_valid(), form.errors


def test_status_and_cell_are_not_on_the_form():
    form = MemberRecordForm()
    assert "status" not in form.fields
    assert "organization" not in form.fields
    assert "activity" not in form.fields
    assert "search_text" not in form.fields


def test_service_keeps_search_text_and_refuses_other_fields(clerk, org_tree):
    member = records.member_create(
        actor=clerk,
        organization=org_tree["cell_a"],
        full_name="Lê Thị Đào",
        other_names="Út",
        party_card_number="123456",
    )
    assert member.search_text == "le thi dao ut 123456"
    assert member.status == "probationary"
    member = records.member_update(actor=clerk, member=member, full_name="Lê Thị Đào Hoa")
    member.refresh_from_db()
    assert member.search_text == "le thi dao hoa ut 123456"
    with pytest.raises(ValidationError) as error:
        records.member_update(actor=clerk, member=member, status="expelled")
    assert "cannot be changed here" in str(error.value)
    with pytest.raises(ValidationError) as error:
        records.member_update(actor=clerk, member=member, organization=org_tree["cell_b"])
    member.refresh_from_db()
    assert member.organization == org_tree["cell_a"]
    assert member.status == "probationary"


def test_service_validates_like_the_form(clerk, org_tree):
    with pytest.raises(ValidationError) as error:
        records.member_create(actor=clerk, organization=org_tree["cell_a"], full_name="Ngô Văn Bé", phone="12345")
    assert "phone" in error.value.message_dict
    assert not Member.objects.filter(full_name="Ngô Văn Bé").exists()


def test_service_permission(member_user, org_tree):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        records.member_create(actor=member_user, organization=org_tree["cell_a"], full_name="Ngô Văn Bé")
    other = MemberFactory(organization=OrganizationFactory())
    with pytest.raises(PermissionDenied):
        records.member_update(actor=member_user, member=other, full_name="X")
