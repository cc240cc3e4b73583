"""The audit trail: recording, append-only rules, the hash chain and ``manage.py audit_verify``."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.test import RequestFactory

from members.models import Organization, OrganizationKind
from partyhub import audit
from partyhub.admin.audit import AuditChainHeadAdmin, AuditEntryAdmin
from partyhub.middleware import RequestContextMiddleware
from partyhub.models import AuditChainHead, AuditEntry, Notification, OutboxMessage
from partyhub.models.audit import AuditAction, AuditImmutableError
from partyhub.request_context import acting_as
from tests.factories import TEST_PASSWORD, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

ORG = "members.organization"


def _entries(**filters):
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def _tamper(sql: str, params: list) -> None:
    """Change the table behind the application's back, as someone with database access could."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _org(**kwargs) -> Organization:
    defaults = {"name": "Chi bộ ấp Phước Lợi", "kind": OrganizationKind.CELL, "code": "CB"}
    return Organization.objects.create(**{**defaults, **kwargs})


# --- record() -------------------------------------------------------------------------------------


def test_record_fills_actor_address_and_object_from_the_request_context(admin_user):
    org = _org()
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Firefox/140")
    request.user = admin_user

    def view(req):
        return audit.record(action=AuditAction.VIEW, obj=org)

    entry = RequestContextMiddleware(view)(request)

    entry.refresh_from_db()
    assert entry.action == "view"
    assert entry.actor_id == admin_user.pk
    assert entry.actor_repr == f"{admin_user.full_name} (admin)"
    assert (entry.ip_address, entry.user_agent) == ("203.0.113.7", "Firefox/140")
    assert (entry.object_type, entry.object_id, entry.object_repr) == (ORG, str(org.pk), "Chi bộ ấp Phước Lợi")
    assert entry.entry_hash == audit.entry_hash(entry)


def test_explicit_actor_and_acting_as(clerk, leader):
    with acting_as(clerk, ip_address="::ffff:10.0.0.5"):
        implicit = audit.record(action=AuditAction.OTHER, object_type="report", object_repr="monthly")
        explicit = audit.record(action=AuditAction.DOWNLOAD, actor=leader, object_type="file", object_id="abc")
    assert implicit.actor_id == clerk.pk
    assert implicit.ip_address == "10.0.0.5"  # IPv4-mapped addresses are stored in their IPv4 form
    assert explicit.actor_id == leader.pk
    assert audit.record(action=AuditAction.OTHER).actor_id is None  # outside any context: the system


def test_unknown_action_is_refused():
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit.record(action="stolen")


def _head() -> tuple[int, str]:
    head = AuditChainHead.objects.filter(pk=1).first()
    return (head.last_entry_id or 0, head.last_hash) if head else (0, audit.GENESIS_HASH)


def test_entries_are_chained_from_the_genesis_hash_with_consecutive_ids():
    last_id, last_hash = _head()
    first = audit.record(action=AuditAction.OTHER, object_repr="one")
    second = audit.record(action=AuditAction.OTHER, object_repr="two")
    assert first.id == last_id + 1 and first.prev_hash == last_hash
    assert second.id == first.id + 1 and second.prev_hash == first.entry_hash
    head = AuditChainHead.objects.get()
    assert (head.last_entry_id, head.last_hash) == (second.id, second.entry_hash)
    if last_id == 0:
        assert first.prev_hash == audit.GENESIS_HASH


def test_long_values_are_cut_to_the_column_and_still_verify():
    entry = audit.record(action=AuditAction.OTHER, object_repr="x" * 1000, user_agent="UA" * 500)
    entry.refresh_from_db()
    assert len(entry.object_repr) == 300 and len(entry.user_agent) == 300
    assert audit.verify_chain().ok


def test_a_rolled_back_change_leaves_no_entry_and_no_gap():
    last_id, _hash = _head()
    with pytest.raises(RuntimeError), transaction.atomic():
        _org(name="Chi bộ sẽ bị hủy")
        raise RuntimeError
    kept = audit.record(action=AuditAction.OTHER)
    assert kept.id == last_id + 1
    assert audit.verify_chain().ok


# --- Signals --------------------------------------------------------------------------------------


def test_create_update_delete_of_a_domain_object_are_recorded_with_a_diff(clerk):
    with acting_as(clerk, ip_address="192.0.2.1"):
        org = _org(name="Chi bộ ấp Mới", place_name="Gò Quao")
        org.name = "Chi bộ ấp Mới 2"
        org.active = False
        org.save()
        org.save()  # no change: nothing recorded
        pk = org.pk
        org.delete()

    created, updated, deleted = _entries(object_type=ORG, object_id=str(pk))
    assert created.action == "create"
    assert created.changes["name"] == [None, "Chi bộ ấp Mới"]
    assert created.changes["place_name"] == [None, "Gò Quao"]
    assert updated.action == "update"
    assert updated.changes == {"name": ["Chi bộ ấp Mới", "Chi bộ ấp Mới 2"], "active": [True, False]}
    assert deleted.action == "delete"
    assert deleted.changes["name"] == ["Chi bộ ấp Mới 2", None]
    assert {e.actor_id for e in (created, updated, deleted)} == {clerk.pk}
    assert {e.ip_address for e in (created, updated, deleted)} == {"192.0.2.1"}


def test_foreign_keys_are_recorded_by_id_and_update_fields_limit_the_diff(org_tree):
    cell = org_tree["cell_a"]
    cell.parent = org_tree["other_commune"]
    cell.order = 5
    cell.save(update_fields=["parent"])
    (entry,) = _entries(action="update", object_id=str(cell.pk), object_type=ORG)
    assert entry.changes == {"parent": [org_tree["commune"].pk, org_tree["other_commune"].pk]}


def test_passwords_are_masked_and_last_login_alone_is_not_an_edit():
    user = get_user_model().objects.create_user(username="masked", password=TEST_PASSWORD)
    created = _entries(object_type="partyhub.user", action="create")[-1]
    assert created.changes["password"] == [None, audit.MASK]
    assert TEST_PASSWORD not in str(created.changes) and "argon2" not in str(created.changes)

    user.set_password("Mot-mat-khau-moi-2026")
    user.save()
    update = _entries(object_type="partyhub.user", action="update")[-1]
    assert update.changes == {"password": [audit.MASK, audit.MASK]}

    before = AuditEntry.objects.count()
    from django.contrib.auth.models import update_last_login

    update_last_login(None, user)
    assert AuditEntry.objects.count() == before


def test_many_to_many_changes_are_recorded():
    user = UserFactory(username="grouped")
    group = Group.objects.create(name="Văn phòng")
    user.groups.add(group)
    user.groups.remove(group)
    entries = _entries(object_type="partyhub.user", object_id=str(user.pk), action="update")
    added, removed = [e for e in entries if "groups" in e.changes]
    assert added.changes == {"groups": {"added": [group.pk]}}
    assert removed.changes == {"groups": {"removed": [group.pk]}}


def test_bookkeeping_models_are_not_recorded(member_user):
    before = AuditEntry.objects.count()
    Notification.objects.create(recipient=member_user, title="Hello")
    OutboxMessage.objects.create(task_name="x")
    assert AuditEntry.objects.count() == before


def test_unaudited_models_keep_djangos_fast_delete():
    from django.contrib.sessions.models import Session
    from django.db.models.deletion import Collector

    collector = Collector(using="default")
    assert collector.can_fast_delete(Session.objects.all())
    assert collector.can_fast_delete(OutboxMessage.objects.all())
    assert not collector.can_fast_delete(Organization.objects.all())  # audited: deleted one by one, recorded


def test_every_audited_app_model_is_covered_and_exclusions_are_deliberate():
    labels = {m._meta.label_lower for m in audit.audited_models()}
    assert {"partyhub.user", "partyhub.storedfile", "partyhub.notificationpreference"} <= labels
    assert {"members.organization", "members.member", "members.position", "members.term"} <= labels
    assert not labels & audit.EXCLUDED_MODELS


def test_suppressed_turns_off_only_the_automatic_recording():
    with audit.suppressed():
        _org(name="Nhập hàng loạt")
        audit.record(action=AuditAction.OTHER, object_repr="import of 1 organization")
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["other"]


def test_login_logout_and_failed_login_are_recorded(member_user):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT="Phone")
    assert authenticate(request, username="member", password="wrong-password") is None
    failed = _entries(action="login_failed")[-1]
    assert failed.actor_id is None
    assert failed.changes == {"username": "member"}
    assert (failed.ip_address, failed.user_agent) == ("198.51.100.9", "Phone")
    assert "wrong-password" not in str(failed.changes)

    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="198.51.100.10", HTTP_USER_AGENT="Tablet")
    request.session = SessionStore()
    request.user = AnonymousUser()
    login(request, member_user, backend="django.contrib.auth.backends.ModelBackend")
    logout(request)
    signed_in, signed_out = _entries(action__in=["login", "logout"])
    assert (signed_in.action, signed_in.actor_id, signed_in.ip_address) == ("login", member_user.pk, "198.51.100.10")
    assert (signed_out.action, signed_out.actor_id, signed_out.user_agent) == ("logout", member_user.pk, "Tablet")
    assert signed_in.object_id == str(member_user.pk)


def test_deleting_a_user_keeps_their_entries_intact():
    user = UserFactory(username="leaving")
    audit.record(action=AuditAction.VIEW, actor=user, object_type="doc", object_id="1")
    user_id = user.pk
    user.delete()
    entry = AuditEntry.objects.get(action="view")
    assert entry.actor_id == user_id  # not rewritten to NULL, which would break the hash
    assert entry.actor_repr
    assert audit.verify_chain().ok


# --- Append-only ----------------------------------------------------------------------------------


def test_the_application_cannot_change_or_delete_entries():
    entry = audit.record(action=AuditAction.OTHER, object_repr="keep me")
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="changed")
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.all().delete()
    entry.object_repr = "changed"
    with pytest.raises(AuditImmutableError):
        entry.save()
    with pytest.raises(AuditImmutableError):
        entry.delete()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.create(action="other", prev_hash="0", entry_hash="1")
    with pytest.raises(AuditImmutableError):
        AuditEntry(action="other", prev_hash="0", entry_hash="1").save()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.bulk_create([AuditEntry(action="other", prev_hash="0", entry_hash="1")])
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "keep me"
    assert audit.verify_chain().ok


# --- Selector ---------------------------------------------------------------------------------------


def test_entries_for_returns_only_that_objects_entries_newest_first(org_tree, leader):
    cell = org_tree["cell_a"]
    audit.record(action=AuditAction.VIEW, obj=cell, actor=leader)
    audit.record(action=AuditAction.VIEW, obj=org_tree["cell_b"], actor=leader)
    rows = list(audit.entries_for(cell))
    assert [r.action for r in rows] == ["view", "create"]
    assert {(r.object_type, r.object_id) for r in rows} == {(ORG, str(cell.pk))}
    assert rows[0].actor == leader


# --- Chain verification -----------------------------------------------------------------------------


@pytest.fixture
def chain():
    """Five entries written through the application."""
    return [audit.record(action=AuditAction.OTHER, object_repr=f"entry {i}") for i in range(1, 6)]


def test_an_intact_chain_passes(chain):
    report = audit.verify_chain(chunk_size=2)  # several round trips of the iterator
    assert report.ok and report.checked == AuditEntry.objects.count() and report.last_id == chain[-1].id


def test_an_empty_chain_passes():
    assert audit.verify_chain().summary() == "Audit chain intact: no entries yet."


def test_a_row_edited_in_the_database_is_flagged_with_its_id(chain):
    _tamper("UPDATE partyhub_auditentry SET object_repr = %s WHERE id = %s", ["forged", chain[2].id])
    report = audit.verify_chain()
    assert not report.ok
    assert (report.broken_id, report.problem, report.checked) == (chain[2].id, "hash mismatch", chain[2].id - 1)
    assert report.broken_at == chain[2].created_at


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(chain):
    forged = AuditEntry.objects.get(pk=chain[1].id)
    forged.actor_repr = "someone else"
    new_hash = audit.entry_hash(forged)
    _tamper(
        "UPDATE partyhub_auditentry SET actor_repr = %s, entry_hash = %s WHERE id = %s",
        ["someone else", new_hash, forged.id],
    )
    report = audit.verify_chain()
    assert (report.broken_id, report.problem) == (chain[2].id, "broken link")


def test_a_deleted_row_is_flagged(chain):
    _tamper("DELETE FROM partyhub_auditentry WHERE id = %s", [chain[1].id])
    report = audit.verify_chain()
    assert (report.broken_id, report.problem) == (chain[2].id, "missing entry")
    assert f"#{chain[1].id} " in report.detail


def test_deleting_the_first_row_is_flagged(chain):
    first, second = AuditEntry.objects.order_by("id").values_list("id", flat=True)[:2]
    _tamper("DELETE FROM partyhub_auditentry WHERE id = %s", [first])
    report = audit.verify_chain()
    assert (report.broken_id, report.problem) == (second, "missing entry")


def test_rows_removed_at_the_end_are_flagged_by_the_head(chain):
    _tamper("DELETE FROM partyhub_auditentry WHERE id >= %s", [chain[3].id])
    report = audit.verify_chain()
    assert (report.ok, report.problem, report.broken_id) == (False, "head mismatch", None)
    assert f"#{chain[4].id} " in report.detail and f"#{chain[2].id} " in report.detail


def test_a_missing_head_is_reanchored_so_writes_go_on(chain):
    _tamper("DELETE FROM partyhub_auditchainhead", [])
    assert audit.verify_chain().problem == "head mismatch"
    entry = audit.record(action=AuditAction.OTHER)
    assert entry.id == chain[-1].id + 1 and entry.prev_hash == chain[-1].entry_hash
    assert audit.verify_chain().ok


def test_audit_verify_command_reports_an_intact_chain(chain, capsys):
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert f"Audit chain intact: {AuditEntry.objects.count()} entries, last #{chain[-1].id}," in out


def test_audit_verify_command_names_the_first_broken_entry_and_exits_non_zero(chain, capsys):
    from partyhub.management.commands.audit_verify import Command

    second, fourth = chain[1].id, chain[3].id
    _tamper("UPDATE partyhub_auditentry SET changes = %s WHERE id IN (%s, %s)", ['{"x": 1}', second, fourth])
    with pytest.raises(CommandError, match=rf"entry #{second} .*hash mismatch"):
        call_command("audit_verify")
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "audit_verify"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert f"Audit chain BROKEN at entry #{second} " in err
    assert chain[1].created_at.strftime("%Y-%m-%dT%H:%M:%S") in err
    assert f"#{fourth}" not in err


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_the_chain_linear():
    """Real threads, each with its own connection, appending at once (SQLite has one writer: skipped there by
    the ``postgres`` marker, with the reason, and never skipped in CI)."""
    threads, per_thread = 6, 15
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit.record(action=AuditAction.OTHER, object_repr=f"thread {n} entry {i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()

    assert errors == []
    report = audit.verify_chain()
    assert report.ok, report.summary()
    assert AuditEntry.objects.filter(object_repr__startswith="thread ").count() == threads * per_thread
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    assert ids == list(range(1, len(ids) + 1))
    assert len(ids) >= threads * per_thread


# --- Admin ----------------------------------------------------------------------------------------------


def test_admin_is_read_only(rf, admin_user):
    from django.contrib import admin

    request = rf.get("/")
    request.user = admin_user
    for model_admin in (AuditEntryAdmin(AuditEntry, admin.site), AuditChainHeadAdmin(AuditChainHead, admin.site)):
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert model_admin.has_view_permission(request)
        assert model_admin.get_actions(request) == {}
    entry_admin = AuditEntryAdmin(AuditEntry, admin.site)
    assert entry_admin.list_filter[:2] == ["action", "object_type"]
    assert {"actor_repr", "object_repr"} <= set(entry_admin.search_fields)


def _otp_client(client, user):
    """A client signed in as ``user`` with a verified second factor (the admin demands one)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def test_admin_pages_list_filter_and_search_and_refuse_writes(client, admin_user):
    audit.record(action=AuditAction.DOWNLOAD, actor=admin_user, object_type="partyhub.storedfile", object_repr="QĐ.pdf")
    audit.record(action=AuditAction.VIEW, actor=admin_user, object_type=ORG, object_repr="Chi bộ ấp Đông")
    client = _otp_client(client, admin_user)
    base = "/admin/partyhub/auditentry/"

    response = client.get(base, {"action__exact": "download"})
    assert response.status_code == 200
    assert "QĐ.pdf" in response.text and "Chi bộ ấp Đông" not in response.text

    response = client.get(base, {"q": "ấp Đông"})
    assert "Chi bộ ấp Đông" in response.text and "QĐ.pdf" not in response.text

    entry = AuditEntry.objects.get(action="download")
    detail = client.get(f"{base}{entry.pk}/change/")
    assert detail.status_code == 200
    assert entry.entry_hash in detail.text
    assert 'name="_save"' not in detail.text

    assert client.post(f"{base}{entry.pk}/change/", {"object_repr": "x"}).status_code == 403
    assert client.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "QĐ.pdf"


def test_admin_edits_are_recorded_with_the_admins_address(client, admin_user):
    from partyhub.models import NotificationPreference

    user = get_user_model().objects.create(username="pref-owner")
    preference = NotificationPreference.objects.create(user=user, email_enabled=True)
    client = _otp_client(client, admin_user)
    response = client.post(
        f"/admin/partyhub/notificationpreference/{preference.pk}/change/",
        {"user": user.pk},  # the checkbox left unticked: e-mail off
        REMOTE_ADDR="192.0.2.44",
    )
    assert response.status_code == 302, response.content[:500]
    entry = _entries(object_type="partyhub.notificationpreference", action="update")[-1]
    assert entry.changes == {"email_enabled": [True, False]}
    assert (entry.actor_id, entry.ip_address) == (admin_user.pk, "192.0.2.44")


def test_organization_factory_creations_are_recorded_too():
    org = OrganizationFactory()
    assert audit.entries_for(org).get().action == "create"
