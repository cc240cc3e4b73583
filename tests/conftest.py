"""Fixtures shared by every test folder: the organization tree and one user per role."""

from __future__ import annotations

import datetime
import os

import pytest

from members.models import OrganizationKind

from .factories import (
    TEST_PASSWORD,
    MemberFactory,
    OrganizationFactory,
    PositionFactory,
    PositionTitleFactory,
    UserFactory,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("PARTYHUB_CHROMIUM", "/usr/bin/chromium"),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def org_tree(db):
    """Province committee (external) → commune committee → its bodies and two cells; another commune."""
    province = OrganizationFactory(
        name="Tỉnh ủy An Giang", kind=OrganizationKind.PROVINCE_COMMITTEE, code="TU", is_external=True
    )
    commune = OrganizationFactory(
        name="Đảng bộ xã Gò Quao", kind=OrganizationKind.COMMUNE_COMMITTEE, code="ĐU", parent=province
    )
    standing = OrganizationFactory(
        name="Ban Thường vụ Đảng ủy xã Gò Quao", kind=OrganizationKind.STANDING_COMMITTEE, code="ĐU", parent=commune
    )
    office = OrganizationFactory(name="Văn phòng Đảng ủy", kind=OrganizationKind.OFFICE, code="VPĐU", parent=commune)
    cell_a = OrganizationFactory(name="Chi bộ ấp Phước Hưng", parent=commune)
    cell_b = OrganizationFactory(name="Chi bộ ấp Hòa Bình", parent=commune)
    other_commune = OrganizationFactory(
        name="Đảng bộ xã Vĩnh Hòa", kind=OrganizationKind.COMMUNE_COMMITTEE, code="ĐU", parent=province
    )
    other_cell = OrganizationFactory(name="Chi bộ ấp Vĩnh Thạnh", parent=other_commune)
    return {
        "province": province,
        "commune": commune,
        "standing": standing,
        "office": office,
        "cell_a": cell_a,
        "cell_b": cell_b,
        "other_commune": other_commune,
        "other_cell": other_cell,
    }


def _person(username, organization, title=None, position_org=None, **title_flags):
    user = UserFactory(username=username)
    member = MemberFactory(full_name=user.full_name, organization=organization, user=user)
    if title:
        PositionFactory(
            member=member,
            organization=position_org or organization,
            title=PositionTitleFactory(name=title, **title_flags),
            start_date=datetime.date(2025, 9, 1),
        )
    return user


@pytest.fixture
def clerk(org_tree):
    return _person("clerk", org_tree["cell_a"], "Văn thư", org_tree["office"], grants_clerk=True)


@pytest.fixture
def leader(org_tree):
    return _person("leader", org_tree["cell_a"], "Bí thư Đảng ủy", org_tree["commune"], grants_leader=True)


@pytest.fixture
def handler(org_tree):
    return _person("handler", org_tree["cell_b"], "Chuyên viên", org_tree["office"], grants_handler=True)


@pytest.fixture
def cell_secretary(org_tree):
    return _person("cellsec", org_tree["cell_a"], "Bí thư chi bộ", grants_cell_secretary=True)


@pytest.fixture
def delegate(org_tree):
    return _person("delegate", org_tree["cell_b"], "Cấp ủy viên", org_tree["commune"], grants_delegate=True)


@pytest.fixture
def member_user(org_tree):
    return _person("member", org_tree["cell_a"])


@pytest.fixture
def outsider(org_tree):
    return _person("outsider", org_tree["other_cell"])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


# --- Celery (notifications/queue work package) -------------------------------------------------------


def _celery_conf_swap(app, **changes):
    """Change the Celery app's configuration, dropping its broker connection pool; returns the old values."""
    saved = {key: app.conf[key] for key in changes}
    app.conf.update(changes)
    # Forget the connections made with the old settings (app.close() would also unregister the app).
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    return saved


@pytest.fixture
def celery_eager():
    """Tasks run inline (as in the embedded mode), whatever REDIS_URL says."""
    from partyhub.celery import app

    saved = _celery_conf_swap(app, task_always_eager=True, task_eager_propagates=True)
    yield app
    _celery_conf_swap(app, **saved)


@pytest.fixture
def celery_broker_down():
    """A broker nobody listens on: handing a task over fails at once, like Redis being down."""
    from partyhub.celery import app

    saved = _celery_conf_swap(app, broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    yield app
    _celery_conf_swap(app, **saved)


@pytest.fixture
def celery_redis_worker(transactional_db):
    """A real Celery worker (solo pool, in a thread) consuming from the Redis named by REDIS_URL.

    Mark the test ``@pytest.mark.redis`` so it skips (with a reason) when Redis is not reachable.
    """
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from partyhub.celery import app

    url = os.environ.get("REDIS_URL") or settings.REDIS_URL or "redis://127.0.0.1:6379/1"
    saved = _celery_conf_swap(app, broker_url=url, task_always_eager=False, result_backend=None)
    app.control.purge()  # messages other tests queued without a worker
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
            yield app
    finally:
        _celery_conf_swap(app, **saved)


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    """Poll until ``predicate()`` is truthy (for work done by another thread); returns its last value."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def ui_vietnamese_catalogue(tmp_path, settings):
    """The project's Vietnamese catalogue compiled afresh from locale/vi (so a test never reads a stale
    .mo), put ahead of the other catalogues."""
    import shutil
    import subprocess
    from pathlib import Path

    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("needs gettext's msgfmt (Debian package gettext)")
    po = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po"
    target = tmp_path / "locale" / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    subprocess.run([msgfmt, "--check-format", "-o", str(target / "django.mo"), str(po)], check=True)
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]


# --- party fees and assessments (member registry area B) -------------------------------------------------


@pytest.fixture
def fee_rules(db):
    """The fee rule sets and the assessment scale of the data migration ``0006_seed_fee_assessment_rules``.

    The migration seeds them, but a transactional test (the browser tests) flushes every table when it ends,
    so tests that need the rules ask for them here (the seeding skips rows that exist)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("members.migrations.0006_seed_fee_assessment_rules")
    migration.seed(apps, None)


# --- documents (issue 4, D2) -----------------------------------------------------------------------------


@pytest.fixture
def document_types():
    """The document types of the data migration ``documents.0003_seed_document_types`` (a transactional test
    flushes every table when it ends, like the fee rules above). Use in tests marked ``django_db``; returns
    ``{name: DocumentType}``."""
    import importlib

    from django.apps import apps

    from documents.models import DocumentType

    migration = importlib.import_module("documents.migrations.0003_seed_document_types")
    migration.seed(apps, None)
    return {t.name: t for t in DocumentType.objects.all()}


# --- data seeded by migrations, again after a transactional test's flush ----------------------------------

#: Data migrations whose ``seed(apps, schema_editor)`` is idempotent (get_or_create).
SEED_MIGRATIONS = (
    "members.migrations.0006_seed_fee_assessment_rules",
    "members.migrations.0007_seed_status_rules",
    "documents.migrations.0003_seed_document_types",
    "documents.migrations.0006_seed_format_profile",
    "meetings.migrations.0002_seed_vote_rules",
    "meetings.migrations.0003_room_quorum_rule",
)


@pytest.fixture(autouse=True)
def _seeded_data_in_transactional_tests(request):
    """A transactional test (browser tests, concurrency tests) starts after another one flushed every table,
    seeded rules and document types included: seed them again, as ``migrate`` did."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for name in SEED_MIGRATIONS:
        importlib.import_module(name).seed(apps, None)


# --- the language of a test -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english_unless_vietnamese(request, settings):
    """Tests read English messages (the msgids) unless they ask for Vietnamese: marker ``vietnamese`` or the
    ``ui_vietnamese_catalogue`` fixture. The product's own default stays Vietnamese; those tests check it."""
    from django.utils import translation

    if request.node.get_closest_marker("vietnamese") or "ui_vietnamese_catalogue" in request.fixturenames:
        yield
        return
    from django.contrib.auth import get_user_model

    settings.LANGUAGE_CODE = "en"
    # Users made by the test prefer English too (the middleware and notifications follow the user's choice);
    # a test may still give a user ``preferred_language="vi"`` explicitly.
    field = get_user_model()._meta.get_field("preferred_language")
    saved = field.default
    field.default = "en"
    field.__dict__.pop("_get_default", None)  # Field caches its default getter
    try:
        with translation.override("en"):
            yield
    finally:
        field.default = saved
        field.__dict__.pop("_get_default", None)
