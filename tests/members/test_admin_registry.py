"""The Django admin of the member registry: every model registered, searchable and filterable; status changes
not bypassing the status service; record writes going through the records service; rules editable with
their checks."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.models import (
    AssessmentBand,
    AssessmentRating,
    AssessmentScale,
    BadgeRule,
    FeeRate,
    FeeRuleSet,
    Member,
    MemberActivity,
    MemberAssessment,
    MemberStatus,
    MemberStatusEvent,
    StatusEventKind,
)
from tests.factories import MemberFactory


@pytest.fixture
def admin_client(client, admin_user):
    device = TOTPDevice.objects.create(user=admin_user, name="test", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return str(value)


def _form_post_data(response) -> dict:
    """The data a browser would send back from an admin change form, unchanged."""
    data = {}

    def add(form):
        for name in form.fields:
            value = _value(form[name].value())
            if value is not None:
                data[form.add_prefix(name)] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            value = formset.management_form[name].value()
            data[formset.management_form.add_prefix(name)] = "" if value is None else value
        for form in formset.initial_forms:
            add(form)
    return data


def test_every_members_model_is_registered_with_a_verbose_name():
    for model in apps.get_app_config("members").get_models():
        assert admin.site.is_registered(model), model.__name__
        # Named on purpose, with a translatable (English msgid) name, not the one Django derives.
        for attr in ("verbose_name", "verbose_name_plural"):
            assert isinstance(model._meta.original_attrs.get(attr), Promise), (model.__name__, attr)


@pytest.mark.parametrize(
    "model",
    list(apps.get_app_config("members").get_models()),
    ids=lambda m: m.__name__,
)
def test_changelists_search_and_filter(admin_client, clerk, model):
    url = reverse(f"admin:members_{model._meta.model_name}_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200
    model_admin = admin.site._registry[model]
    if model_admin.get_search_fields(None):
        assert admin_client.get(url, {"q": "Nguyễn"}).status_code == 200
    assert model_admin.list_filter or model in {AssessmentScale}, model.__name__


def test_member_status_and_activity_are_read_only_in_the_admin(admin_client, org_tree):
    member = MemberFactory(full_name="Nguyễn Văn Thử", organization=org_tree["cell_a"], status=MemberStatus.OFFICIAL)
    url = reverse("admin:members_member_change", args=[member.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "status" not in form.fields and "activity" not in form.fields and "organization" not in form.fields
    data = _form_post_data(response)
    data.update(
        {
            "status": MemberStatus.EXPELLED,
            "activity": MemberActivity.SUSPENDED,
            "organization": org_tree["cell_b"].pk,
            "full_name": "Nguyễn Văn Đổi Tên",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    member.refresh_from_db()
    assert member.status == MemberStatus.OFFICIAL
    assert member.activity == MemberActivity.ACTIVE
    assert member.organization == org_tree["cell_a"]
    assert member.full_name == "Nguyễn Văn Đổi Tên"
    # Saved through the records service: the search column follows the name.
    assert "nguyen van doi ten" in member.search_text


def test_member_form_shows_the_record_service_errors(admin_client, org_tree):
    member = MemberFactory(full_name="Nguyễn Văn Thử", organization=org_tree["cell_a"])
    url = reverse("admin:members_member_change", args=[member.pk])
    data = _form_post_data(admin_client.get(url))
    data["id_number"] = "12345"
    with translation.override("en"):
        response = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "id_number" in response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.id_number == ""


def test_member_added_in_the_admin_goes_through_the_service(admin_client, org_tree):
    url = reverse("admin:members_member_add")
    data = _form_post_data(admin_client.get(url))
    data.update({"full_name": "Trần Thị Mới", "organization": org_tree["cell_b"].pk, "ethnicity": "Kinh"})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    member = Member.objects.get(full_name="Trần Thị Mới")
    assert member.organization == org_tree["cell_b"]
    assert member.search_text == "tran thi moi"
    assert member.status == MemberStatus.PROBATIONARY  # no date of becoming official


def test_status_events_cannot_be_added_or_changed_in_the_admin(admin_client, org_tree, admin_user):
    member = MemberFactory(organization=org_tree["cell_a"])
    event = MemberStatusEvent.objects.create(
        member=member,
        kind=StatusEventKind.ADMITTED,
        effective_date=datetime.date(2000, 5, 19),
        status_before=MemberStatus.PROBATIONARY,
        status_after=MemberStatus.PROBATIONARY,
        activity_before=MemberActivity.ACTIVE,
        activity_after=MemberActivity.ACTIVE,
    )
    assert admin_client.get(reverse("admin:members_memberstatusevent_add")).status_code == 403
    change = reverse("admin:members_memberstatusevent_change", args=[event.pk])
    response = admin_client.get(change)
    assert response.status_code == 200 and not response.context["has_change_permission"]
    response = admin_client.post(change, {"kind": StatusEventKind.EXPELLED, "effective_date": "2020-01-01"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.kind == StatusEventKind.ADMITTED
    assert (
        admin_client.post(
            reverse("admin:members_memberstatusevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    # On the member's page, the history is shown without any way to add or edit a row.
    response = admin_client.get(reverse("admin:members_member_change", args=[member.pk]))
    inline = next(i for i in response.context["inline_admin_formsets"] if i.formset.model is MemberStatusEvent)
    assert not inline.has_add_permission and not inline.has_change_permission and not inline.has_delete_permission
    assert "Admitted" in response.content.decode() or str(StatusEventKind.ADMITTED.label) in response.content.decode()


def test_fee_rule_set_with_rates_inline(admin_client):
    url = reverse("admin:members_feeruleset_add")
    base = {
        "source": "Quy định thử nghiệm 99-QĐ/TW",
        "valid_from": "2031-01-01",
        "round_to": "100",
        "arrears_warning_months": "3",
        "relief_percents": "[30, 50, 70, 100]",
        "rates-TOTAL_FORMS": "1",
        "rates-INITIAL_FORMS": "0",
        "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000",
        "rates-0-category": "salary",
        "rates-0-percent": "1",
        "rates-0-fixed_amount": "5000",
    }
    with translation.override("en"):
        response = admin_client.post(url, base, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "either a percentage of the basis or a fixed amount" in response.content.decode()
    assert not FeeRuleSet.objects.filter(valid_from=datetime.date(2031, 1, 1)).exists()
    base["rates-0-fixed_amount"] = ""
    response = admin_client.post(url, base)
    assert response.status_code == 302
    rule_set = FeeRuleSet.objects.get(valid_from=datetime.date(2031, 1, 1))
    assert list(rule_set.rates.values_list("category", "percent")) == [("salary", Decimal("1.000"))]
    assert FeeRate.objects.filter(rule_set=rule_set).count() == 1


def test_badge_rule_checks_its_lists(admin_client):
    url = reverse("admin:members_badgerule_add")
    data = {
        "source": "Hướng dẫn thử nghiệm",
        "valid_from": "2031-01-01",
        "milestones": "[30, 40, 45]",
        "award_days": '["03/02", "31/02"]',
        "illness_early_months": "12",
        "illness_early_months_high": "24",
        "high_milestone_from": "70",
        "posthumous_early_months": "12",
    }
    with translation.override("en"):
        response = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "31/02" in str(response.context["adminform"].form.errors["award_days"])
    data["award_days"] = '["03/02", "19/05"]'
    data["milestones"] = "[40, 30]"
    response = admin_client.post(url, data)
    assert "milestones" in response.context["adminform"].form.errors
    data["milestones"] = "[30, 40, 45]"
    assert admin_client.post(url, data).status_code == 302
    assert BadgeRule.objects.get(valid_from=datetime.date(2031, 1, 1)).award_days == ["03/02", "19/05"]


def test_assessment_scale_bands_inline_and_rating_derived(admin_client, org_tree):
    scale = AssessmentScale.objects.create(source="Thang điểm thử 2026", valid_from_year=2026)
    url = reverse("admin:members_assessmentscale_change", args=[scale.pk])
    response = admin_client.get(url)
    data = _form_post_data(response)
    bands = [
        ("excellent", "90", "on", "30"),
        ("good", "70", None, ""),
        ("completed", "50", None, ""),
        ("not_completed", "0", None, ""),
    ]
    data.update({"bands-TOTAL_FORMS": str(len(bands)), "bands-INITIAL_FORMS": "0"})
    for i, (rating, score, all_done, exceeded) in enumerate(bands):
        data[f"bands-{i}-rating"] = rating
        data[f"bands-{i}-min_score"] = score
        data[f"bands-{i}-min_exceeded_percent"] = exceeded
        if all_done:
            data[f"bands-{i}-requires_all_tasks_done"] = all_done
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert AssessmentBand.objects.filter(scale=scale).count() == 4

    member = MemberFactory(organization=org_tree["cell_a"])
    response = admin_client.post(
        reverse("admin:members_memberassessment_add"),
        {"member": member.pk, "year": "2026", "score": "75", "exceeded_percent": "0", "note": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assessment = MemberAssessment.objects.get(member=member, year=2026)
    assert assessment.rating == AssessmentRating.GOOD and assessment.scale == scale


def test_assessment_without_a_scale_is_refused(admin_client, org_tree):
    AssessmentScale.objects.all().delete()
    member = MemberFactory(organization=org_tree["cell_a"])
    with translation.override("en"):
        response = admin_client.post(
            reverse("admin:members_memberassessment_add"),
            {"member": member.pk, "year": "2024", "score": "75", "exceeded_percent": "0"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert "No assessment scale is in force for 2024" in str(response.context["adminform"].form.errors)
    assert not MemberAssessment.objects.filter(member=member).exists()
    with translation.override("en"):
        response = admin_client.post(
            reverse("admin:members_memberassessment_add"),
            {"member": member.pk, "year": "2099", "score": "75", "exceeded_percent": "0"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert "The year must be between" in str(response.context["adminform"].form.errors)
