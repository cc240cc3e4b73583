"""Notifications: the notify service, e-mail delivery after commit, the task, and the pages."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from partyhub.models import Notification, NotificationPreference, OutboxMessage
from partyhub.notifications import (
    is_local_url,
    notification_mark_read,
    notifications_for,
    notifications_mark_all_read,
    notify,
    unread_count,
)
from partyhub.tasks import send_notification_email
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _note(user, title="Hello", **kwargs) -> Notification:
    return Notification.objects.create(recipient=user, title=title, **kwargs)


# --- notify() -------------------------------------------------------------------------------------


def test_notify_creates_one_row_per_active_recipient_and_never_notifies_the_actor(clerk, leader, handler):
    retired = UserFactory(username="retired", is_active=False)
    created = notify(
        recipients=[clerk, leader, leader, retired, handler, None],
        title="Văn bản mới",
        body="Số 05-NQ/ĐU",
        url="/documents/5/",
        kind="document_assigned",
        actor=handler,
    )
    assert {n.recipient_id for n in created} == {clerk.pk, leader.pk}
    assert all(n.pk for n in created)
    row = Notification.objects.get(recipient=clerk)
    assert (row.title, row.body, row.url, row.kind, row.read_at) == (
        "Văn bản mới",
        "Số 05-NQ/ĐU",
        "/documents/5/",
        "document_assigned",
        None,
    )


def test_notify_accepts_a_single_user_and_a_queryset(clerk, leader):
    assert len(notify(recipients=clerk, title="One")) == 1
    assert len(notify(recipients=type(clerk).objects.filter(pk__in=[clerk.pk, leader.pk]), title="Two")) == 2


def test_lazy_texts_are_stored_in_each_recipients_language(clerk, leader):
    clerk.preferred_language = "en"
    clerk.save()
    leader.preferred_language = "vi"
    leader.save()
    notify(
        recipients=[clerk, leader],
        title=gettext_lazy("This field is required."),
        body=format_lazy("{}: {}", gettext_lazy("Yes"), 5),
    )
    assert Notification.objects.get(recipient=clerk).title == "This field is required."
    assert Notification.objects.get(recipient=leader).title == "Trường này là bắt buộc."
    assert Notification.objects.get(recipient=leader).body == "Có: 5"


@pytest.mark.parametrize(
    "url", ["https://evil.example/x", "//evil.example/x", "javascript:alert(1)", "documents/5", "/\\evil.example"]
)
def test_notify_refuses_a_link_that_is_not_a_local_path(clerk, url):
    with pytest.raises(ValueError, match="local path"):
        notify(recipients=[clerk], title="x", url=url)
    assert not Notification.objects.exists()


def test_is_local_url():
    assert is_local_url("/documents/5/?tab=files#top")
    assert not is_local_url("") and not is_local_url("http://testserver/documents/")


def test_email_is_queued_only_for_recipients_who_want_it_and_have_an_address(
    clerk, leader, handler, delegate, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(user=leader, email_enabled=False)
    NotificationPreference.objects.create(user=delegate, email_enabled=True)
    handler.email = ""
    handler.save()
    with django_capture_on_commit_callbacks() as callbacks:
        notify(recipients=[clerk, leader, handler, delegate], title="Họp chi bộ")
    # clerk (no preference row: e-mail by default) and delegate (asked for it); not leader (off), not handler
    assert len(callbacks) == 2


def test_email_is_sent_after_commit(clerk, celery_eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (notification,) = notify(recipients=[clerk], title="Giấy mời họp")
        assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[clerk.email]]
    notification.refresh_from_db()
    assert notification.emailed_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing(celery_eager):
    user = UserFactory(username="recipient")
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[user], title="Never")
        raise RuntimeError("the caller failed after notifying")
    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()

    with transaction.atomic():
        notify(recipients=[user], title="Sent once committed")
        assert mail.outbox == []
    assert [m.subject for m in mail.outbox] == ["[PartyHub] Sent once committed"]


# --- The e-mail task --------------------------------------------------------------------------------


def test_email_is_rendered_in_the_recipients_language(clerk, leader, settings):
    settings.PUBLIC_BASE_URL = "https://partyhub.example.vn"
    clerk.preferred_language = "en"
    clerk.save()
    leader.preferred_language = "vi"
    leader.save()
    english = _note(clerk, title="Document 05-NQ/ĐU", body="Please read it.", url="/documents/5/")
    vietnamese = _note(leader, title="Văn bản 05-NQ/ĐU")

    with translation.override("vi"):  # the sender's language does not matter
        assert send_notification_email(english.pk) is True
    assert send_notification_email(vietnamese.pk) is True

    sent_en, sent_vi = mail.outbox
    assert sent_en.subject == "[PartyHub] Document 05-NQ/ĐU"
    assert sent_en.to == [clerk.email]
    assert sent_en.body.startswith(f"Hello {clerk.full_name},")
    assert "Please read it." in sent_en.body
    assert f"https://partyhub.example.vn/notifications/{english.pk}/open/" in sent_en.body
    assert "https://partyhub.example.vn/notifications/preferences/" in sent_en.body
    assert sent_en.extra_headers["Content-Language"] == "en"
    assert sent_vi.extra_headers["Content-Language"] == "vi"
    assert sent_vi.subject == "[PartyHub] Văn bản 05-NQ/ĐU"
    assert "/open/" not in sent_vi.body  # no link to follow


def test_task_returns_quietly_when_the_row_is_gone():
    assert send_notification_email(987654) is False
    assert mail.outbox == []


def test_task_is_idempotent(clerk):
    notification = _note(clerk)
    assert send_notification_email(notification.pk) is True
    assert send_notification_email(notification.pk) is False
    assert len(mail.outbox) == 1


def test_task_respects_a_preference_changed_after_queuing(clerk):
    notification = _note(clerk)
    NotificationPreference.objects.create(user=clerk, email_enabled=False)
    assert send_notification_email(notification.pk) is False
    assert mail.outbox == []


class FlakySMTPBackend(LocmemBackend):
    """Refuses the first two messages like an overloaded SMTP server, then delivers."""

    failures_left = 2
    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).failures_left:
            type(self).failures_left -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_task_retries_with_backoff_on_smtp_errors_then_delivers_once(clerk, settings, celery_eager):
    settings.EMAIL_BACKEND = f"{__name__}.FlakySMTPBackend"
    FlakySMTPBackend.failures_left, FlakySMTPBackend.attempts = 2, 0
    celery_eager.conf.task_eager_propagates = False  # let Celery's eager mode run the retries in turn
    notification = _note(clerk)

    result = send_notification_email.apply(args=[notification.pk])

    assert (result.state, result.result) == ("SUCCESS", True)
    assert FlakySMTPBackend.attempts == 3  # failed, retried, failed, retried, delivered
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert smtplib.SMTPException in send_notification_email.autoretry_for
    assert send_notification_email.retry_backoff == 30 and send_notification_email.retry_jitter
    assert send_notification_email.max_retries == 8


def test_task_gives_up_after_max_retries_without_marking_the_row(clerk, settings, celery_eager):
    settings.EMAIL_BACKEND = f"{__name__}.FlakySMTPBackend"
    FlakySMTPBackend.failures_left, FlakySMTPBackend.attempts = 100, 0
    celery_eager.conf.task_eager_propagates = False
    notification = _note(clerk)
    last_try = send_notification_email.apply(
        args=[notification.pk], retries=send_notification_email.max_retries, throw=False
    )
    assert last_try.state == "FAILURE"
    assert isinstance(last_try.result, smtplib.SMTPServerDisconnected)
    notification.refresh_from_db()
    assert notification.emailed_at is None


# --- Selectors and services ----------------------------------------------------------------------------


def test_selectors_see_only_the_users_own_notifications_unread_first(clerk, leader):
    old_unread = _note(clerk, "old unread")
    read = _note(clerk, "read", read_at=timezone.now())
    new_unread = _note(clerk, "new unread")
    _note(leader, "not yours")
    assert list(notifications_for(clerk)) == [new_unread, old_unread, read]
    assert unread_count(clerk) == 2 and unread_count(leader) == 1


def test_mark_read_keeps_the_first_read_time_and_refuses_others(clerk, leader):
    notification = _note(clerk)
    notification_mark_read(notification=notification, actor=clerk)
    first = Notification.objects.get(pk=notification.pk).read_at
    assert first is not None
    notification_mark_read(notification=Notification.objects.get(pk=notification.pk), actor=clerk)
    assert Notification.objects.get(pk=notification.pk).read_at == first
    with pytest.raises(PermissionError):
        notification_mark_read(notification=notification, actor=leader)


def test_mark_all_read_touches_only_the_actors_rows(clerk, leader):
    _note(clerk), _note(clerk), _note(leader)
    assert notifications_mark_all_read(actor=clerk) == 2
    assert unread_count(clerk) == 0 and unread_count(leader) == 1


# --- Pages ----------------------------------------------------------------------------------------------

LIST = reverse("notifications:list")


@pytest.mark.parametrize(
    "name,args",
    [("list", []), ("badge", []), ("preferences", []), ("open", [1]), ("read", [1]), ("read_all", [])],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, name, args):
    url = reverse(f"notifications:{name}", args=args)
    response = client.get(url) if name not in ("read", "read_all") else client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_page_shows_own_notifications_unread_first(client, clerk, leader):
    _note(clerk, "Đã đọc rồi", read_at=timezone.now())
    _note(clerk, "Chưa đọc")
    _note(leader, "Thư của người khác")
    client.force_login(clerk)
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.text
    assert "Thư của người khác" not in html
    assert html.index("Chưa đọc") < html.index("Đã đọc rồi")
    assert response.context["unread_notification_count"] == 1
    assert reverse("notifications:read_all") in html


def test_list_page_is_paginated(client, clerk):
    for i in range(25):
        _note(clerk, f"Thông báo số {i:02d}")
    client.force_login(clerk)
    first = client.get(LIST)
    assert len(first.context["notifications"]) == 20
    assert "Thông báo số 24" in first.text and "Thông báo số 04" not in first.text
    second = client.get(LIST, {"page": 2})
    assert [n.title for n in second.context["notifications"]] == [f"Thông báo số {i:02d}" for i in range(4, -1, -1)]


def test_empty_list_says_so(client, clerk):
    client.force_login(clerk)
    with translation.override("en"):
        response = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["page_obj"].paginator.count == 0
    assert 'class="empty-state"' in response.text


def _list_queries(client, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        response = client.get(LIST)
    assert response.status_code == 200
    return response


#: Every signed-in request: session and user, then the session saved again (SESSION_SAVE_EVERY_REQUEST keeps
#: the idle timeout sliding: savepoint, update, release).
REQUEST_QUERIES = 5
#: The list page: + the list's count and page, the unread counter (context processor), and the roles behind
#: the layout's menu (2, partyhub.context_processors.layout).
LIST_PAGE_QUERIES = REQUEST_QUERIES + 3 + 2


def test_list_page_query_count_is_pinned_and_does_not_grow(client, clerk, django_assert_num_queries):
    client.force_login(clerk)
    _note(clerk)
    _list_queries(client, django_assert_num_queries, LIST_PAGE_QUERIES)
    for i in range(19):
        _note(clerk, f"n{i}", url="/documents/1/")
    _list_queries(client, django_assert_num_queries, LIST_PAGE_QUERIES)


def test_mark_read_needs_post_and_answers_404_for_another_users_notification(client, clerk, leader):
    mine, theirs = _note(clerk), _note(leader)
    client.force_login(clerk)
    assert client.get(reverse("notifications:read", args=[mine.pk])).status_code == 405
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None

    response = client.post(reverse("notifications:read", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == LIST
    assert Notification.objects.get(pk=mine.pk).read_at is not None


def test_mark_read_follows_only_a_safe_next(client, clerk):
    one, two = _note(clerk), _note(clerk)
    client.force_login(clerk)
    response = client.post(reverse("notifications:read", args=[one.pk]), {"next": "/documents/"})
    assert response["Location"] == "/documents/"
    response = client.post(reverse("notifications:read", args=[two.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == LIST


def test_mark_read_with_htmx_returns_the_item_and_the_badge(client, clerk):
    one, _two = _note(clerk, "Một"), _note(clerk, "Hai")
    client.force_login(clerk)
    response = client.post(reverse("notifications:read", args=[one.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.text
    assert f'id="notification-{one.pk}"' in html
    assert "Mark as read" not in html and "Đánh dấu" not in html  # no button left on a read item
    assert 'id="notification-badge"' in html and 'hx-swap-oob="true"' in html
    assert 'data-testid="unread-count">1<' in html
    assert "<html" not in html


def test_mark_all_read(client, clerk, leader):
    _note(clerk), _note(clerk), _note(leader)
    client.force_login(clerk)
    response = client.post(reverse("notifications:read_all"))
    assert response.status_code == 302
    assert unread_count(clerk) == 0 and unread_count(leader) == 1

    _note(clerk)
    response = client.post(reverse("notifications:read_all"), HTTP_HX_REQUEST="true")
    assert 'id="notification-list"' in response.text and 'hx-swap-oob="true"' in response.text
    assert 'data-testid="unread-count"' not in response.text
    assert unread_count(clerk) == 0


def test_open_marks_read_and_redirects_to_a_local_link(client, clerk):
    notification = _note(clerk, url="/documents/5/?tab=files")
    client.force_login(clerk)
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert (response.status_code, response["Location"]) == (302, "/documents/5/?tab=files")
    assert Notification.objects.get(pk=notification.pk).read_at is not None


@pytest.mark.parametrize("url", ["https://evil.example/phish", "//evil.example/phish", "javascript:alert(1)"])
def test_open_refuses_an_off_site_link(client, clerk, url):
    notification = _note(clerk, url=url)  # written around notify(), which refuses such links itself
    client.force_login(clerk)
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert (response.status_code, response["Location"]) == (302, LIST)


def test_open_without_a_link_goes_to_the_list(client, clerk):
    notification = _note(clerk)
    client.force_login(clerk)
    assert client.get(reverse("notifications:open", args=[notification.pk]))["Location"] == LIST


def test_preferences_page_shows_and_saves_the_users_choice(client, clerk):
    client.force_login(clerk)
    url = reverse("notifications:preferences")
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["form"].initial == {"email_enabled": True}
    assert 'name="email_enabled"' in response.text and "checked" in response.text

    response = client.post(url, {})  # unticked
    assert response.status_code == 302 and response["Location"] == url
    assert NotificationPreference.objects.get(user=clerk).email_enabled is False
    assert client.get(url).context["form"].initial == {"email_enabled": False}

    client.post(url, {"email_enabled": "on"})
    assert NotificationPreference.objects.get(user=clerk).email_enabled is True


def test_preferences_page_warns_when_the_user_has_no_address(client, clerk):
    clerk.email = ""
    clerk.save()
    client.force_login(clerk)
    assert client.get(reverse("notifications:preferences")).context["has_email"] is False


def test_badge_fragment_and_context_processor(client, clerk, leader, django_assert_num_queries):
    _note(clerk), _note(clerk), _note(clerk, read_at=timezone.now()), _note(leader)
    client.force_login(clerk)
    with django_assert_num_queries(REQUEST_QUERIES + 1):  # + the count; no layout, no context processors
        response = client.get(reverse("notifications:badge"))
    assert response["Cache-Control"] == "no-store"
    assert 'data-testid="unread-count">2<' in response.text
    assert 'hx-get="/notifications/badge/"' in response.text
    assert "<html" not in response.text

    from partyhub.context_processors import notifications as processor

    request = client.get(LIST).wsgi_request
    with django_assert_num_queries(1):
        assert processor(request) == {"unread_notification_count": 2}


def test_context_processor_is_empty_for_anonymous(rf):
    from django.contrib.auth.models import AnonymousUser

    from partyhub.context_processors import notifications as processor

    request = rf.get("/")
    request.user = AnonymousUser()
    assert processor(request) == {}


# --- Nightly audit check notifies superusers ---------------------------------------------------------


def test_verify_audit_chain_task_notifies_superusers_only_when_broken(admin_user, clerk):
    from django.db import connection

    from partyhub import audit
    from partyhub.models.audit import AuditAction
    from partyhub.tasks import verify_audit_chain

    entry = audit.record(action=AuditAction.OTHER, object_repr="nightly")
    assert verify_audit_chain()["ok"] is True
    assert not Notification.objects.exists()

    with connection.cursor() as cursor:
        cursor.execute("UPDATE partyhub_auditentry SET object_repr = 'forged' WHERE id = %s", [entry.pk])
    result = verify_audit_chain()
    assert (result["ok"], result["broken_id"], result["problem"]) == (False, entry.pk, "hash mismatch")
    (alert,) = Notification.objects.all()
    assert alert.recipient == admin_user
    assert alert.kind == "audit_chain_broken"
    assert f"#{entry.pk}" in alert.body
    assert alert.url == reverse("admin:partyhub_auditentry_changelist")
