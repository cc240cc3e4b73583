"""In-app notifications, e-mailed too when the recipient wants it.

Services (writes) and selectors (reads) of the notifications area. Other apps call ``notify``:

    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy as _
    from partyhub.notifications import notify

    notify(
        recipients=[handler_user],
        title=format_lazy(_("Document {number} was assigned to you"), number=doc.number),
        url=doc.get_absolute_url(),
        kind="document_assigned",
        actor=request.user,
    )

``title`` and ``body`` may be lazy translations: each recipient's copy is then stored in that recipient's
preferred language. ``url`` must be local (a path on this site). The actor is never notified of their own
action. E-mail is sent by ``partyhub.tasks.send_notification_email`` only after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme

from . import queue
from .models import Notification, NotificationPreference

__all__ = [
    "email_enabled_for",
    "is_local_url",
    "notification_mark_read",
    "notification_preferences_update",
    "notification_send_email",
    "notifications_for",
    "notifications_mark_all_read",
    "notify",
    "register_email_attachments",
    "unread_count",
]


def connection_returns_bulk_ids() -> bool:
    from django.db import connections, router

    return connections[router.db_for_write(Notification)].features.can_return_rows_from_bulk_insert


def is_local_url(url: str) -> bool:
    """A path on this site ("/documents/5/"), never another host, scheme or a protocol-relative URL."""
    if not url:
        return False
    return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=False)


def _recipient_list(recipients) -> list:
    User = get_user_model()
    if isinstance(recipients, User):
        recipients = [recipients]
    seen: set = set()
    result = []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        result.append(user)
    return result


def _in_language(value, language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return str(value)


def email_enabled_for(users: Iterable) -> set[int]:
    """Ids of the given users who want e-mail (the default when they have no preference row) and have an
    address. One query."""
    users = [u for u in users if u.email]
    if not users:
        return set()
    disabled = set(
        NotificationPreference.objects.filter(user__in=[u.pk for u in users], email_enabled=False).values_list(
            "user_id", flat=True
        )
    )
    return {u.pk for u in users if u.pk not in disabled}


@transaction.atomic
def notify(
    *,
    recipients,
    title: str,
    body: str = "",
    url: str = "",
    kind: str = "general",
    actor=None,
) -> list[Notification]:
    """Create one notification per recipient (a user, or an iterable of users) and queue their e-mails.

    Inactive users and the ``actor`` themself are skipped. E-mails are queued with ``partyhub.queue.enqueue``,
    so a rollback of the caller's transaction sends nothing.
    """
    if url and not is_local_url(url):
        raise ValueError(f"A notification link must be a local path, not {url!r}")
    actor_pk = getattr(actor, "pk", None)
    users = [u for u in _recipient_list(recipients) if u.is_active and (actor_pk is None or u.pk != actor_pk)]
    if not users:
        return []
    notifications = [
        Notification(
            recipient=user,
            kind=kind[:50],
            title=_in_language(title, user.preferred_language)[:200],
            body=_in_language(body, user.preferred_language),
            url=url,
        )
        for user in users
    ]
    if connection_returns_bulk_ids():
        created = Notification.objects.bulk_create(notifications)
    else:
        for notification in notifications:
            notification.save()
        created = notifications
    wanted = email_enabled_for(users)
    from .tasks import send_notification_email  # tasks import this module

    for notification in created:
        if notification.recipient_id in wanted:
            queue.enqueue(send_notification_email, notification.pk)
    return created


# --- Selectors ------------------------------------------------------------------------------------


def notifications_for(user) -> models.QuerySet[Notification]:
    """The user's own notifications, unread first, newest first. Everything else is invisible to them."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return (
        Notification.objects.filter(recipient=user)
        .annotate(is_unread=models.Case(models.When(read_at__isnull=True, then=1), default=0))
        .order_by("-is_unread", "-created_at", "-id")
    )


def unread_count(user) -> int:
    """How many of the user's notifications are unread (one COUNT query)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# --- Services -------------------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, notification: Notification, actor) -> Notification:
    """Mark one of the actor's notifications read (idempotent: the first read time is kept)."""
    if notification.recipient_id != actor.pk:
        raise PermissionError("Only the recipient can mark a notification read.")
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_update(*, actor, email_enabled: bool) -> NotificationPreference:
    """Set the actor's own notification preference (recorded in the audit trail by the signals)."""
    preference, _created = NotificationPreference.objects.get_or_create(
        user=actor, defaults={"email_enabled": email_enabled}
    )
    if preference.email_enabled != email_enabled:
        preference.email_enabled = email_enabled
        preference.save(update_fields=["email_enabled"])
    return preference


def notification_send_email(*, notification_id: int) -> bool:
    """E-mail one notification unless it was e-mailed already, the row is gone, or the recipient no longer
    wants e-mail. Returns True when a mail was sent.

    The row is locked while sending, so two workers running the same task send one mail; a failed send
    raises (the task retries) and leaves ``emailed_at`` empty.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at is not None:
            return False
        recipient = notification.recipient
        if not recipient.is_active or recipient.pk not in email_enabled_for([recipient]):
            return False
        message = _build_email(notification)
        message.send(fail_silently=False)
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


#: Files attached to the e-mail of a notification, by notification ``kind``: ``provider(notification)`` returns
#: ``[(filename, content, mimetype), …]`` built when the e-mail is sent (so it shows the state of that moment),
#: e.g. the .ics of a meeting invitation. Register from ``AppConfig.ready``.
EmailAttachmentProvider = Callable[[Notification], Iterable[tuple[str, bytes | str, str]]]
_email_attachment_providers: dict[str, EmailAttachmentProvider] = {}


def register_email_attachments(kind: str, provider: EmailAttachmentProvider) -> EmailAttachmentProvider:
    """Attach ``provider(notification)``'s files to the e-mails of notifications of ``kind``."""
    _email_attachment_providers[kind] = provider
    return provider


def _absolute(url: str) -> str:
    if not url:
        return ""
    return settings.PUBLIC_BASE_URL.rstrip("/") + url


def _build_email(notification: Notification) -> EmailMessage:
    recipient = notification.recipient
    language = recipient.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "notification": notification,
            "recipient": recipient,
            "link": _absolute(reverse("notifications:open", args=[notification.pk]) if notification.url else ""),
            "preferences_link": _absolute(reverse("notifications:preferences")),
            "site_name": "PartyHub",
        }
        subject = render_to_string("partyhub/notifications/email_subject.txt", context)
        body = render_to_string("partyhub/notifications/email_body.txt", context)
    subject = " ".join(subject.split())[:200]
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={"Auto-Submitted": "auto-generated", "Content-Language": language},
    )
    provider = _email_attachment_providers.get(notification.kind)
    if provider is not None:
        for filename, content, mimetype in provider(notification) or ():
            message.attach(filename, content, mimetype)
    return message
