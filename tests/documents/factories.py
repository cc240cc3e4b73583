"""factory_boy factories for the documents app, shared by every documents test module.

``DocumentTypeFactory`` gets or creates by name, so it works alongside the document types seeded by the
data migration (``DocumentTypeFactory(name="Nghị quyết")`` returns the seeded row).
"""

from __future__ import annotations

import datetime

import factory

from documents.models import (
    DocumentType,
    IncomingDocument,
    IncomingStatus,
    ReceivedVia,
    Register,
    RegisterKind,
    ResetPeriod,
)
from tests.factories import OrganizationFactory


class DocumentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentType
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Loại văn bản {n}")
    abbreviation = factory.Sequence(lambda n: f"L{n}")


class RegisterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Register
        django_get_or_create = ("organization", "kind", "is_secret")

    organization = factory.SubFactory(OrganizationFactory)
    kind = RegisterKind.INCOMING
    is_secret = False
    name = factory.LazyAttribute(lambda o: f"Sổ văn bản {'mật ' if o.is_secret else ''}đến — {o.organization.name}")
    reset_period = factory.LazyAttribute(
        lambda o: ResetPeriod.YEAR if o.kind == RegisterKind.INCOMING else ResetPeriod.TERM
    )


class IncomingDocumentFactory(factory.django.DjangoModelFactory):
    """A draft waiting to be registered (no files). Pass ``status``, ``register``, ``period`` and ``number``
    for a registered entry made by hand (tests of lists and statistics)."""

    class Meta:
        model = IncomingDocument

    organization = factory.SubFactory(OrganizationFactory)
    status = IncomingStatus.DRAFT
    received_via = ReceivedVia.UPLOAD
    received_on = factory.LazyFunction(lambda: datetime.date(2026, 3, 2))
    sender = "Tỉnh ủy An Giang"
    number_symbol = factory.Sequence(lambda n: f"{n + 1:02d}-NQ/TU")
    document_date = factory.LazyFunction(lambda: datetime.date(2026, 2, 27))
    summary = factory.Sequence(lambda n: f"Về chuyển đổi số trong hoạt động của Đảng, lần {n}")


# --- access (D4) -------------------------------------------------------------------------------------------


class ClearanceFactory(factory.django.DjangoModelFactory):
    """A clearance valid since 2025 with no end date. Pass ``level`` ("mat", "toi_mat", "tuyet_mat")."""

    class Meta:
        model = "documents.Clearance"

    user = factory.SubFactory("tests.factories.UserFactory")
    level = "mat"
    valid_from = factory.LazyFunction(lambda: datetime.date(2025, 1, 1))


def give_directive(document, *, by, lead, cooperating=(), informed=(), deadline=None, instructions=""):
    """A current directive written straight into the tables (for tests that need one without the service)."""
    from documents.models import Assignment, AssignmentRole, Directive

    directive = Directive.objects.create(
        document=document, directed_by=by, deadline=deadline, instructions=instructions
    )
    Assignment.objects.create(directive=directive, user=lead, role=AssignmentRole.LEAD)
    for user in cooperating:
        Assignment.objects.create(directive=directive, user=user, role=AssignmentRole.COOPERATE)
    for user in informed:
        Assignment.objects.create(directive=directive, user=user, role=AssignmentRole.INFORM)
    return directive


# --- handling (D3) -----------------------------------------------------------------------------------------


def registered_incoming(organization, *, number=None, **fields):
    """A registered entry of ``organization``'s incoming register (no files), numbered by hand."""
    from django.utils import timezone

    register = RegisterFactory(organization=organization)
    if number is None:
        last = IncomingDocument.objects.filter(register=register, period="2026").order_by("-number").first()
        number = (last.number if last else 0) + 1
    fields.setdefault("status", IncomingStatus.REGISTERED)
    fields.setdefault("registered_at", timezone.now())
    return IncomingDocumentFactory(organization=organization, register=register, period="2026", number=number, **fields)
