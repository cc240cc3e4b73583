"""The audit trail: who did what, when, and from which address.

One module records every change to domain objects and every explicit "view"/"download" of a protected item:

* ``record(action=..., obj=...)`` appends one entry. It is the only writer of ``AuditEntry``.
* Signal handlers (connected from ``PartyHubConfig.ready``) record create, update (with a field diff,
  sensitive fields masked) and delete of every concrete model of the audited apps, plus many-to-many
  changes, login, logout and failed logins. The acting user and address come from
  ``partyhub.request_context``, so edits made in the Django admin are caught like any other.
* The trail is tamper-evident: every entry stores the hash of the entry before it (``prev_hash``) and its
  own ``entry_hash`` = SHA-256 over a canonical serialization of its fields and ``prev_hash``. Appending
  locks the single ``AuditChainHead`` row, so the chain stays linear under concurrency, and entries get
  consecutive ids (a gap means a deleted row). ``verify_chain()`` walks the chain; ``manage.py
  audit_verify`` and the nightly task ``partyhub.tasks.verify_audit_chain`` call it.

Lock order: the chain-head lock is held from the first audited write until the transaction commits, and
writers queue on it. A service that also locks rows with ``select_for_update`` (a numbering counter) should
take those locks BEFORE its first audited write, so every transaction takes the head lock last and two
transactions cannot deadlock on (counter, head) in opposite orders.

Not recorded automatically: ``QuerySet.update()``/``bulk_create()``/``bulk_update()`` (Django sends no signals
for them; call ``record`` yourself), writes inside ``with suppressed():``, fixture loading (``raw``) and data
migrations (historical model classes).
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import ipaddress
import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.db import IntegrityError, models, router, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from . import request_context
from .models.audit import AuditAction, AuditChainHead, AuditEntry, AuditImmutableError

logger = logging.getLogger(__name__)

__all__ = [
    "GENESIS_HASH",
    "AuditAction",
    "AuditImmutableError",
    "ChainReport",
    "entries_for",
    "entry_hash",
    "record",
    "suppressed",
    "verify_chain",
]

#: ``prev_hash`` of the very first entry.
GENESIS_HASH = hashlib.sha256(b"PartyHub audit trail genesis v1").hexdigest()

#: Apps whose concrete models are audited on create, update and delete.
AUDITED_APPS = ("partyhub", "members", "documents", "meetings")

#: Models never audited by the signal handlers:
#: the trail itself and its head (recording them would recurse), the outbox (delivery plumbing whose rows
#: are created and deleted by the relay), and notifications (messages derived from events that are audited
#: themselves; their read/e-mailed timestamps are per-user bookkeeping that would flood the trail).
EXCLUDED_MODELS = frozenset(
    {
        "partyhub.auditentry",
        "partyhub.auditchainhead",
        "partyhub.outboxmessage",
        "partyhub.notification",
        # Secret votes: the running counts are never audited — an entry's time next to a ballot receipt's
        # would tell who voted how (issue 6). Receipts (who voted, not how) are audited.
        "meetings.secrettally",
        # A delegate's private page notes: only their author ever reads them, so their text never goes
        # into the trail (the notes services record text-free entries themselves).
        "meetings.pagenote",
    }
)

#: Updates that change only these fields are bookkeeping, not edits, and are not recorded
#: (``last_login`` is written on every login, which is recorded as a login event already).
NOISE_FIELDS = {"partyhub.user": frozenset({"last_login"})}

#: Field names whose values never enter the trail; a change is shown as masked.
SENSITIVE_FIELD_RE = re.compile(r"password|secret|token|api_?key|private_?key|otp", re.IGNORECASE)
MASK = "••••••"

#: Longest value kept in a diff, in characters (long texts are cut; the object keeps the full text).
MAX_VALUE_CHARS = 2000

# Limits of the model's columns (values are cut before hashing so the stored row hashes the same).
_LIMITS = {"actor_repr": 200, "object_type": 100, "object_id": 64, "object_repr": 300, "user_agent": 300}

_UNSET = object()


# --- Hashing --------------------------------------------------------------------------------------


def _canonical_time(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_payload(
    *,
    id: int,
    created_at: datetime.datetime,
    actor_id: int | None,
    actor_repr: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    changes: dict,
    ip_address: str | None,
    user_agent: str,
    prev_hash: str,
) -> bytes:
    """The exact bytes an entry's hash is computed over (sorted keys, no whitespace, UTF-8)."""
    data = {
        "v": 1,
        "id": id,
        "created_at": _canonical_time(created_at),
        "actor_id": actor_id,
        "actor_repr": actor_repr,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "changes": changes,
        "ip_address": ip_address,
        "user_agent": user_agent,
        "prev_hash": prev_hash,
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry) -> str:
    """Recompute the hash of a stored entry from its fields."""
    payload = canonical_payload(
        id=entry.id,
        created_at=entry.created_at,
        actor_id=entry.actor_id,
        actor_repr=entry.actor_repr,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        object_repr=entry.object_repr,
        changes=entry.changes,
        ip_address=entry.ip_address,
        user_agent=entry.user_agent,
        prev_hash=entry.prev_hash,
    )
    return hashlib.sha256(payload).hexdigest()


# --- Values ---------------------------------------------------------------------------------------


def _json_value(value):
    """A JSON-native value that survives a round trip through JSONField unchanged (so hashes match)."""
    if value is None or isinstance(value, bool | int | str):
        result = value
    elif isinstance(value, float):
        result = repr(value)
    elif isinstance(value, datetime.datetime):
        result = _canonical_time(value) if timezone.is_aware(value) else value.isoformat()
    elif isinstance(value, datetime.date | datetime.time):
        result = value.isoformat()
    elif isinstance(value, datetime.timedelta | decimal.Decimal | uuid.UUID):
        result = str(value)
    elif isinstance(value, bytes | bytearray | memoryview):
        result = f"<{len(value)} bytes>"
    elif isinstance(value, models.fields.files.FieldFile):
        result = value.name or None
    elif isinstance(value, list | tuple | set | frozenset):
        items = [_json_value(v) for v in value]
        result = sorted(items, key=str) if isinstance(value, set | frozenset) else items
    elif isinstance(value, dict):
        result = {str(k): _json_value(v) for k, v in value.items()}
    else:
        result = str(value)
    if isinstance(result, str) and len(result) > MAX_VALUE_CHARS:
        result = result[:MAX_VALUE_CHARS] + "…"
    return result


def _normalize_changes(changes: dict | None) -> dict:
    if not changes:
        return {}
    # A JSON round trip with sorted keys: what is hashed is exactly what JSONField gives back.
    return json.loads(json.dumps(_json_value(changes), sort_keys=True, ensure_ascii=False))


def _normalize_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def _cut(name: str, value) -> str:
    text = "" if value is None else str(value)
    limit = _LIMITS[name]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _user_repr(user) -> str:
    if user is None:
        return ""
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    username = getattr(user, "username", "") or ""
    if name and name != username:
        return f"{name} ({username})"
    return username or str(user)


def object_label(obj_or_model) -> str:
    """``app_label.modelname`` of a model instance or class, as stored in ``object_type``."""
    return obj_or_model._meta.label_lower


# --- Writing --------------------------------------------------------------------------------------


def _lock_head(using: str) -> AuditChainHead:
    """The chain head, locked for the rest of the transaction (created on first use)."""
    manager = AuditChainHead.objects.using(using)
    head = manager.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    last = AuditEntry.objects.using(using).order_by("-id").only("id", "entry_hash").first()
    try:
        with transaction.atomic(using=using):
            manager.create(
                pk=1,
                last_hash=last.entry_hash if last else GENESIS_HASH,
                last_entry_id=last.id if last else None,
            )
    except IntegrityError:
        pass  # another transaction created it first; wait for its lock below
    else:
        if last is not None:
            # Entries exist but the head row was gone: re-anchor at the last entry so writes go on, and say so
            # loudly (truncation at the end cannot be proven any more; audit_verify still checks the rest).
            logger.error("Audit chain head was missing; re-anchored at entry %s", last.id)
    return manager.select_for_update().get(pk=1)


def record(
    *,
    action: str,
    obj=None,
    actor=None,
    changes: dict | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    ip_address=_UNSET,
    user_agent=_UNSET,
) -> AuditEntry:
    """Append one entry to the trail and return it.

    ``action`` is an ``AuditAction`` value. ``obj`` (a model instance) fills ``object_type``/``object_id``/
    ``object_repr`` unless those are given. ``actor`` and the address default to the current request context
    (``partyhub.request_context.current()``, see ``acting_as`` for tasks and commands); with no user bound,
        the entry is recorded as done by the system. Runs in its own atomic block (a savepoint inside an outer
    transaction): the entry commits or rolls back with the change it records.
    """
    if action not in AuditAction.values:
        raise ValueError(f"Unknown audit action {action!r}")
    context = request_context.current()
    user = context.user if actor is None else actor
    if user is not None and not getattr(user, "is_authenticated", True):
        user = None
    if obj is not None:
        object_type = object_type or object_label(obj)
        object_id = object_id or ("" if obj.pk is None else str(obj.pk))
        if not object_repr:
            try:
                object_repr = str(obj)
            except Exception:  # a __str__ that fails must not lose the entry
                object_repr = f"{obj._meta.verbose_name} #{obj.pk}"
    ip = _normalize_ip(context.ip_address if ip_address is _UNSET else ip_address)
    agent = context.user_agent if user_agent is _UNSET else (user_agent or "")
    fields = {
        "actor_id": getattr(user, "pk", None),
        "actor_repr": _cut("actor_repr", _user_repr(user)),
        "action": str(action),
        "object_type": _cut("object_type", object_type),
        "object_id": _cut("object_id", object_id),
        "object_repr": _cut("object_repr", object_repr),
        "changes": _normalize_changes(changes),
        "ip_address": ip,
        "user_agent": _cut("user_agent", agent),
    }
    using = router.db_for_write(AuditEntry)
    with transaction.atomic(using=using):
        head = _lock_head(using)
        entry = AuditEntry(
            id=(head.last_entry_id or 0) + 1,
            created_at=timezone.now(),
            prev_hash=head.last_hash,
            **fields,
        )
        entry.entry_hash = entry_hash(entry)
        entry._partyhub_chained = True
        entry.save(using=using)
        head.last_hash = entry.entry_hash
        head.last_entry_id = entry.id
        head.save(using=using, update_fields=["last_hash", "last_entry_id"])
    return entry


# --- Reading --------------------------------------------------------------------------------------


def entries_for(obj) -> models.QuerySet[AuditEntry]:
    """Every audit entry about one object, newest first (for "history" and "who viewed this" panels).

    The caller must already have established that the user may see ``obj``.
    """
    return (
        AuditEntry.objects.filter(object_type=object_label(obj), object_id=str(obj.pk))
        .select_related("actor")
        .order_by("-id")
    )


@dataclass
class ChainReport:
    """The outcome of ``verify_chain``: ``ok``, how many entries were checked and, if broken, where."""

    ok: bool
    checked: int = 0
    last_id: int | None = None
    last_hash: str = GENESIS_HASH
    broken_id: int | None = None
    broken_at: datetime.datetime | None = None
    problem: str = ""  # "hash mismatch" | "broken link" | "missing entry" | "head mismatch"
    detail: str = ""
    extra: dict = field(default_factory=dict)

    def summary(self) -> str:
        if self.ok:
            if not self.checked:
                return "Audit chain intact: no entries yet."
            return f"Audit chain intact: {self.checked} entries, last #{self.last_id}, last hash {self.last_hash}."
        where = f"entry #{self.broken_id}" if self.broken_id is not None else "chain head"
        when = f" ({_canonical_time(self.broken_at)})" if self.broken_at else ""
        return f"Audit chain BROKEN at {where}{when}: {self.problem}. {self.detail}".strip()


def _iter_entries(using: str, chunk_size: int) -> Iterator[AuditEntry]:
    return AuditEntry.objects.using(using).order_by("id").iterator(chunk_size=chunk_size)


def verify_chain(*, using: str | None = None, chunk_size: int = 2000) -> ChainReport:
    """Walk the whole chain in id order with a server-side iterator (memory stays bounded) and report the
    FIRST broken entry: an entry whose stored hash does not match its fields (hash mismatch), whose
    ``prev_hash`` is not the previous entry's hash (broken link), a gap in the ids (missing entry), or a
    chain head that does not point at the last entry (head mismatch: entries removed at the end)."""
    using = using or router.db_for_read(AuditEntry)
    expected_id = 1
    prev_hash = GENESIS_HASH
    checked = 0
    last_id = None
    for entry in _iter_entries(using, chunk_size):
        if entry.id != expected_id:
            missing = f"#{expected_id}" if entry.id == expected_id + 1 else f"#{expected_id}–#{entry.id - 1}"
            return ChainReport(
                ok=False,
                checked=checked,
                last_id=last_id,
                broken_id=entry.id,
                broken_at=entry.created_at,
                problem="missing entry",
                detail=f"Entry {missing} before it is missing (deleted).",
            )
        if entry_hash(entry) != entry.entry_hash:
            return ChainReport(
                ok=False,
                checked=checked,
                last_id=last_id,
                broken_id=entry.id,
                broken_at=entry.created_at,
                problem="hash mismatch",
                detail="Its stored fields no longer match its hash (the row was changed).",
            )
        if entry.prev_hash != prev_hash:
            return ChainReport(
                ok=False,
                checked=checked,
                last_id=last_id,
                broken_id=entry.id,
                broken_at=entry.created_at,
                problem="broken link",
                detail="Its previous-hash does not match the entry before it (an earlier row was replaced).",
            )
        prev_hash = entry.entry_hash
        last_id = entry.id
        expected_id += 1
        checked += 1

    head = AuditChainHead.objects.using(using).filter(pk=1).first()
    head_id = head.last_entry_id if head else None
    head_hash = head.last_hash if head else GENESIS_HASH
    if head_id != last_id or head_hash != prev_hash:
        return ChainReport(
            ok=False,
            checked=checked,
            last_id=last_id,
            last_hash=prev_hash,
            broken_id=None,
            problem="head mismatch",
            detail=(
                f"The chain head points at entry #{head_id} but the last entry is #{last_id}"
                " (entries at the end were removed, or the head was altered)."
                if head_id != last_id
                else "The chain head's hash does not match the last entry."
            ),
        )
    return ChainReport(ok=True, checked=checked, last_id=last_id, last_hash=prev_hash)


# --- Signal handlers ------------------------------------------------------------------------------

_suppressed: ContextVar[bool] = ContextVar("partyhub_audit_suppressed", default=False)


@contextmanager
def suppressed():
    """Turn the automatic create/update/delete recording off inside the block (bulk imports that record one
    summary entry themselves). Explicit ``record()`` calls still record."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def is_audited(model) -> bool:
    meta = model._meta
    if meta.abstract:
        return False
    if meta.proxy:
        # A proxy's changes arrive through signals sent with the proxy class; treat it as its concrete model.
        meta = meta.concrete_model._meta
    return meta.app_label in AUDITED_APPS and meta.label_lower not in EXCLUDED_MODELS and not meta.auto_created


def _concrete_fields(instance) -> list:
    return [f for f in instance._meta.concrete_fields if not f.primary_key]


def _field_value(instance, f):
    return _json_value(getattr(instance, f.attname))


def _masked(f, old, new) -> tuple:
    if SENSITIVE_FIELD_RE.search(f.name):
        return (MASK if old not in (None, "") else None, MASK if new not in (None, "") else None)
    return old, new


def _snapshot(instance, *, new: bool) -> dict:
    """Non-empty field values of an object, as ``{field: [old, new]}`` for a create or a delete."""
    result = {}
    for f in _concrete_fields(instance):
        value = _field_value(instance, f)
        if value in (None, "", [], {}):
            continue
        old, new_value = (None, value) if new else (value, None)
        result[f.name] = list(_masked(f, old, new_value))
    return result


def _on_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or _suppressed.get() or not is_audited(sender) or instance._state.adding or instance.pk is None:
        return
    names = [f.attname for f in _concrete_fields(instance)]
    if update_fields is not None:
        wanted = set(update_fields)
        names = [f.attname for f in _concrete_fields(instance) if f.name in wanted or f.attname in wanted]
    if not names:
        return
    old = sender._base_manager.using(instance._state.db or "default").filter(pk=instance.pk).values(*names).first()
    instance._partyhub_audit_old = old


def _on_post_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or _suppressed.get() or not is_audited(sender):
        return
    if created:
        record(action=AuditAction.CREATE, obj=instance, changes=_snapshot(instance, new=True))
        return
    old = instance.__dict__.pop("_partyhub_audit_old", None)
    if old is None:
        # Saved without a prior row (a forced insert of an existing pk, or a row gone meanwhile): still a write.
        record(action=AuditAction.UPDATE, obj=instance, changes={})
        return
    diff = {}
    for f in _concrete_fields(instance):
        if f.attname not in old:
            continue
        raw_before, raw_after = old[f.attname], getattr(instance, f.attname)
        if raw_before == raw_after:
            continue
        before, after = _json_value(raw_before), _json_value(raw_after)
        if before != after:
            diff[f.name] = list(_masked(f, before, after))
    if not diff:
        return  # saved without a change: nothing happened worth recording
    noise = NOISE_FIELDS.get(sender._meta.concrete_model._meta.label_lower, frozenset())
    if set(diff) <= noise:
        return
    record(action=AuditAction.UPDATE, obj=instance, changes=diff)


def _on_pre_delete(sender, instance, **kwargs):
    if _suppressed.get() or not is_audited(sender):
        return
    # The primary key is gone after deletion; keep the snapshot while it is still there.
    instance._partyhub_audit_deleted = (str(instance.pk), _snapshot(instance, new=False))


def _on_post_delete(sender, instance, **kwargs):
    if _suppressed.get() or not is_audited(sender):
        return
    object_id, snapshot = instance.__dict__.pop("_partyhub_audit_deleted", (str(instance.pk), {}))
    record(action=AuditAction.DELETE, obj=instance, object_id=object_id, changes=snapshot)


def _m2m_field_name(sender, instance, reverse: bool) -> str:
    """The name of the many-to-many relation whose "through" model is ``sender``, seen from ``instance``."""
    meta = type(instance)._meta
    if not reverse:
        for f in meta.many_to_many:
            if f.remote_field.through is sender:
                return f.name
    else:
        for rel in meta.related_objects:
            if rel.many_to_many and rel.through is sender:
                return rel.get_accessor_name()
    return sender._meta.model_name


def _on_m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if _suppressed.get() or action not in ("post_add", "post_remove", "post_clear"):
        return
    if not is_audited(type(instance)):
        return
    ids = sorted((_json_value(pk) for pk in (pk_set or ())), key=str)
    if action == "post_add":
        change = {"added": ids}
    elif action == "post_remove":
        change = {"removed": ids}
    else:
        change = {"cleared": True}
    if action != "post_clear" and not ids:
        return
    record(action=AuditAction.UPDATE, obj=instance, changes={_m2m_field_name(sender, instance, reverse): change})


def _request_meta(request):
    if request is None:
        return _UNSET, _UNSET
    return request_context.client_ip(request), request.META.get("HTTP_USER_AGENT", "")


def _on_login(sender, request, user, **kwargs):
    ip, agent = _request_meta(request)
    record(action=AuditAction.LOGIN, obj=user, actor=user, ip_address=ip, user_agent=agent)


def _on_logout(sender, request, user, **kwargs):
    ip, agent = _request_meta(request)
    record(action=AuditAction.LOGOUT, obj=user, actor=user, ip_address=ip, user_agent=agent)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    ip, agent = _request_meta(request)
    # Django has already replaced the password with asterisks; keep only the name that was tried.
    username = str(credentials.get("username") or credentials.get("email") or "")[:150]
    record(
        action=AuditAction.LOGIN_FAILED,
        object_type="auth.login",
        object_repr=username,
        changes={"username": username},
        ip_address=ip,
        user_agent=agent,
    )


def connect_signals() -> None:
    """Connect the recorders (called from ``PartyHubConfig.ready``; ``dispatch_uid`` makes a second call harmless).

    Model signals are connected per audited model, never globally: a global delete receiver would make Django
    load every row before deleting (no fast delete) for sessions, lockout records and the like. Historical
    models used by data migrations are other classes, so migrations are not recorded.
    """
    for model in audited_models(include_proxies=True):
        uid = model._meta.label_lower
        pre_save.connect(_on_pre_save, sender=model, dispatch_uid=f"partyhub.audit.pre_save.{uid}")
        post_save.connect(_on_post_save, sender=model, dispatch_uid=f"partyhub.audit.post_save.{uid}")
        pre_delete.connect(_on_pre_delete, sender=model, dispatch_uid=f"partyhub.audit.pre_delete.{uid}")
        post_delete.connect(_on_post_delete, sender=model, dispatch_uid=f"partyhub.audit.post_delete.{uid}")
        for f in model._meta.many_to_many:
            through = f.remote_field.through
            m2m_changed.connect(
                _on_m2m_changed, sender=through, dispatch_uid=f"partyhub.audit.m2m.{through._meta.label_lower}"
            )
    user_logged_in.connect(_on_login, dispatch_uid="partyhub.audit.login")
    user_logged_out.connect(_on_logout, dispatch_uid="partyhub.audit.logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="partyhub.audit.login_failed")


def audited_models(*, include_proxies: bool = False) -> list[type[models.Model]]:
    """Every model whose writes the signal handlers record."""
    return [m for m in apps.get_models() if is_audited(m) and (include_proxies or not m._meta.proxy)]
