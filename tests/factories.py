"""factory_boy factories shared by every test folder."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model

from members.models import Member, Organization, OrganizationKind, Position, PositionTitle, Term

TEST_PASSWORD = "Mat-khau-thu-nghiem-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Người Dùng {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Chi bộ ấp {n}")
    kind = OrganizationKind.CELL
    code = "CB"
    place_name = "Gò Quao"


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    organization = factory.SubFactory(OrganizationFactory)
    name = "2025–2030"
    start_date = datetime.date(2025, 9, 1)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    full_name = factory.Sequence(lambda n: f"Trần Thị Đảng Viên {n}")
    organization = factory.SubFactory(OrganizationFactory)
    admission_date = datetime.date(2000, 5, 19)


class PositionTitleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PositionTitle
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Chức vụ {n}")


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    member = factory.SubFactory(MemberFactory)
    organization = factory.SelfAttribute("member.organization")
    title = factory.SubFactory(PositionTitleFactory)
    start_date = datetime.date(2025, 9, 1)
