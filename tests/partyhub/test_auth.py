"""Sign-in, lockout, session timeout, password change and reset, and the second factor (issue 2, point 6)."""

from __future__ import annotations

import datetime
import re
from unittest import mock

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import SESSION_KEY, get_user_model
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from partyhub.admin_site import PartyHubAdminSite
from partyhub.auth_views import PENDING_SESSION_KEY

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def english(client):
    """Pages in English, so assertions do not depend on the merged Vietnamese catalogue."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def login(client, username, password, next_url=None, **extra):
    url = LOGIN + (f"?next={next_url}" if next_url is not None else "")
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(url, data, **extra)


def current_token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def wrong_token(device: TOTPDevice) -> str:
    right = int(current_token(device))
    return f"{(right + 500_000) % 1_000_000:06d}"


@pytest.fixture
def staff(db):
    from tests.factories import UserFactory

    return UserFactory(username="staffer", is_staff=True, full_name="Lê Văn Quản Trị")


@pytest.fixture
def staff_totp(staff):
    return TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)


@pytest.fixture
def no_otp_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


# --- password step ------------------------------------------------------------------------------------


@pytest.mark.vietnamese
def test_login_page_is_public_and_vietnamese_by_default(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert 'name="username"' in html and 'name="password"' in html
    assert 'autocomplete="current-password"' in html


def test_right_password_signs_in_and_lands_on_home(client, clerk, password):
    response = login(client, "clerk", password)
    assert response.status_code == 302
    assert response.url == "/"
    assert client.session[SESSION_KEY] == str(clerk.pk)
    home = client.get("/")
    assert home.status_code == 200
    assert clerk.get_full_name() in home.content.decode()


def test_wrong_password_is_refused_with_a_message(english, clerk):
    response = login(english, "clerk", "not-the-password")
    assert response.status_code == 200
    assert SESSION_KEY not in english.session
    assert "Please enter a correct username and password" in response.content.decode()


def test_unknown_user_is_refused_like_a_wrong_password(english, clerk):
    response = login(english, "nobody-here", "whatever-1234")
    assert response.status_code == 200
    assert SESSION_KEY not in english.session
    assert "Please enter a correct username and password" in response.content.decode()


def test_passwords_are_hashed_with_argon2(clerk):
    assert clerk.password.startswith("argon2$")


@pytest.mark.parametrize(
    "forged",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "javascript:alert(document.cookie)",
        "http://testserver.evil.example/",
        "/\\evil.example",
        "https:///evil.example",
    ],
)
def test_forged_next_lands_on_home(client, clerk, password, forged):
    response = login(client, "clerk", password, next_url=forged)
    assert response.status_code == 302
    assert response.url == "/"


def test_a_next_on_this_site_is_followed(client, clerk, password):
    response = login(client, "clerk", password, next_url="/accounts/password/change/")
    assert response.url == "/accounts/password/change/"


def test_a_signed_in_user_visiting_login_goes_home(client, clerk):
    client.force_login(clerk)
    response = client.get(LOGIN + "?next=https://evil.example/")
    assert response.status_code == 302
    assert response.url == "/"


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next=/"


def test_logout_is_a_post_and_ends_the_session(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert SESSION_KEY not in client.session
    assert client.get("/").status_code == 302


# --- lockout ------------------------------------------------------------------------------------------


def test_repeated_failures_lock_the_username_from_that_address(english, clerk, password, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _attempt in range(limit - 1):
        assert login(english, "clerk", "wrong-password-1").status_code == 200
    locked = login(english, "clerk", "wrong-password-1")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Sign-in temporarily blocked" in page
    assert f"Please wait {round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)} minutes" in page

    # Even the right password is refused now, from the same address …
    again = login(english, "clerk", password)
    assert again.status_code == 429
    assert SESSION_KEY not in english.session
    # … while the same user from another address, and another user from this address, can sign in.
    assert login(english, "clerk", password, REMOTE_ADDR="10.1.2.3").status_code == 302


def test_lockout_is_per_username(english, clerk, leader, password, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login(english, "clerk", "wrong-password-1")
    assert login(english, "clerk", password).status_code == 429
    assert login(english, "leader", password).status_code == 302


def test_a_success_before_the_limit_resets_the_count(english, clerk, password, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        login(english, "clerk", "wrong-password-1")
    assert login(english, "clerk", password).status_code == 302
    english.post(reverse("logout"))
    assert login(english, "clerk", "wrong-password-1").status_code == 200


# --- session idle timeout -----------------------------------------------------------------------------


def test_an_idle_session_expires_and_activity_keeps_it_alive(client, clerk, password):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    age = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    login(client, "clerk", password)
    start = timezone.now()

    # Active shortly before the timeout: still signed in, and the clock starts again.
    with mock.patch("django.utils.timezone.now", return_value=start + age - datetime.timedelta(minutes=1)):
        assert client.get("/").status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=start + 2 * age - datetime.timedelta(minutes=3)):
        assert client.get("/").status_code == 200

    # Idle for longer than the timeout: signed out.
    with mock.patch("django.utils.timezone.now", return_value=start + 3 * age):
        response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


# --- password change and reset ------------------------------------------------------------------------


def test_password_change(english, clerk, password):
    english.force_login(clerk)
    page = english.get(reverse("password_change"))
    assert page.status_code == 200
    assert "Change password" in page.content.decode()

    bad = english.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "Mat-khau-moi-2026!", "new_password2": "Mat-khau-moi-2026!"},
    )
    assert bad.status_code == 200
    assert "Your old password was entered incorrectly" in bad.content.decode()

    response = english.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "Mat-khau-moi-2026!", "new_password2": "Mat-khau-moi-2026!"},
    )
    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    # Still signed in after the change (the session hash was updated) …
    assert english.get(reverse("password_change_done")).status_code == 200
    clerk.refresh_from_db()
    assert clerk.check_password("Mat-khau-moi-2026!")
    assert clerk.password.startswith("argon2$")


def test_password_change_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_password_reset_mail_and_link(client, clerk, mailoutbox, settings):
    settings.PUBLIC_BASE_URL = "https://partyhub.example.vn"
    assert client.get(reverse("password_reset")).status_code == 200
    response = client.post(reverse("password_reset"), {"email": clerk.email})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [clerk.email]
    link = re.search(r"https://partyhub\.example\.vn(/accounts/password/reset/\S+/\S+/)", mail.body)
    assert link, mail.body
    assert clerk.username in mail.body

    # The link opens the form (Django first moves the token into the session) and sets the password.
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "Mat-khau-moi-2026!", "new_password2": "Mat-khau-moi-2026!"})
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    assert client.get(done.url).status_code == 200
    clerk.refresh_from_db()
    assert clerk.check_password("Mat-khau-moi-2026!")
    # The link works once.
    reused = client.get(link.group(1), follow=True)
    assert reused.context["validlink"] is False


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, clerk, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mailoutbox == []


def test_password_reset_pages_are_public(client):
    for name in ("password_reset", "password_reset_done", "password_reset_complete"):
        assert client.get(reverse(name)).status_code == 200, name


# --- second factor: sign-in ---------------------------------------------------------------------------


def test_a_user_with_a_device_is_not_signed_in_before_the_code(english, staff, staff_totp, password):
    response = login(english, "staffer", password, next_url="/admin/")
    assert response.status_code == 302
    assert response.url == reverse("two_factor_verify")
    assert SESSION_KEY not in english.session
    # Other pages still want a login.
    assert english.get("/").status_code == 302
    page = english.get(reverse("two_factor_verify"))
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()


def test_right_code_completes_sign_in_and_opens_the_admin(english, staff, staff_totp, password):
    login(english, "staffer", password, next_url="/admin/")
    response = english.post(reverse("two_factor_verify"), {"token": current_token(staff_totp)})
    assert response.status_code == 302
    assert response.url == "/admin/"
    assert english.session[SESSION_KEY] == str(staff.pk)
    assert PENDING_SESSION_KEY not in english.session
    admin_page = english.get("/admin/")
    assert admin_page.status_code == 200
    assert "PartyHub administration" in admin_page.content.decode()


def test_wrong_code_is_refused(english, staff, staff_totp, password):
    login(english, "staffer", password)
    response = english.post(reverse("two_factor_verify"), {"token": wrong_token(staff_totp)})
    assert response.status_code == 200
    assert "This code is not valid" in response.content.decode()
    assert SESSION_KEY not in english.session
    assert english.get("/admin/").status_code == 302


def test_a_code_cannot_be_used_twice(english, staff, staff_totp, password, no_otp_throttle):
    login(english, "staffer", password)
    token = current_token(staff_totp)
    english.post(reverse("two_factor_verify"), {"token": token})
    english.post(reverse("logout"))
    login(english, "staffer", password)
    response = english.post(reverse("two_factor_verify"), {"token": token})
    assert response.status_code == 200
    assert SESSION_KEY not in english.session


def test_repeated_wrong_codes_end_the_pending_sign_in(english, staff, staff_totp, password, no_otp_throttle):
    login(english, "staffer", password)
    last = None
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        last = english.post(reverse("two_factor_verify"), {"token": wrong_token(staff_totp)})
    # Wrong codes count like wrong passwords: the account is locked from this address, or sent back.
    assert last.status_code in (302, 429)
    assert PENDING_SESSION_KEY not in english.session
    assert SESSION_KEY not in english.session
    assert login(english, "staffer", password).status_code == 429


def test_the_code_page_without_a_password_step_sends_to_login(english):
    response = english.get(reverse("two_factor_verify"))
    assert response.status_code == 302
    assert response.url == reverse("login")


def test_a_pending_sign_in_lapses(english, staff, staff_totp, password):
    login(english, "staffer", password)
    session = english.session
    session[PENDING_SESSION_KEY]["started"] -= 3600
    session.save()
    response = english.post(reverse("two_factor_verify"), {"token": current_token(staff_totp)})
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert SESSION_KEY not in english.session


def test_a_backup_code_signs_in_once(english, staff, password, no_otp_throttle):
    device = StaticDevice.objects.create(user=staff, name="backup", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")
    login(english, "staffer", password)
    assert english.post(reverse("two_factor_verify"), {"token": "ABCD 2345"}).status_code == 302
    assert english.session[SESSION_KEY] == str(staff.pk)
    english.post(reverse("logout"))
    login(english, "staffer", password)
    assert english.post(reverse("two_factor_verify"), {"token": "abcd2345"}).status_code == 200


def test_forged_next_through_the_code_step_lands_on_home(english, staff, staff_totp, password):
    login(english, "staffer", password, next_url="//evil.example/")
    response = english.post(reverse("two_factor_verify"), {"token": current_token(staff_totp)})
    assert response.status_code == 302
    assert response.url == "/"


# --- second factor: the admin -------------------------------------------------------------------------


def test_the_admin_site_requires_a_verified_session():
    assert isinstance(admin.site, PartyHubAdminSite)


def test_admin_refused_without_a_device_and_sent_to_setup(english, staff):
    english.force_login(staff)
    response = english.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("two_factor_setup")
    assert "needs two-factor authentication" in response.content.decode()
    assert english.get("/admin/partyhub/user/").status_code == 302


def test_admin_refused_for_an_unverified_session_and_sent_to_the_code(english, staff, staff_totp):
    english.force_login(staff)  # signed in, but the second factor was never given
    response = english.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("two_factor_verify")
    done = english.post(reverse("two_factor_verify"), {"token": current_token(staff_totp)})
    assert done.status_code == 302
    assert done.url == "/admin/"
    assert english.get("/admin/").status_code == 200


def test_admin_refused_for_a_superuser_without_otp(english, admin_user):
    english.force_login(admin_user)
    assert english.get("/admin/").status_code == 302
    assert english.get("/admin/partyhub/user/").status_code == 302


def test_admin_is_not_for_non_staff(english, clerk):
    english.force_login(clerk)
    response = english.get("/admin/", follow=True)
    assert response.status_code == 404


def test_admin_for_anonymous_goes_to_our_login(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "next=/admin/" in response.redirect_chain[-1][0]


# --- second factor: setup and removal -----------------------------------------------------------------


def test_setup_shows_a_qr_code_and_confirms_with_a_code(english, staff):
    english.force_login(staff)
    page = english.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "Turn on two-factor authentication" in html
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed is False
    secret = page.context["secret"].replace(" ", "")
    import base64

    assert base64.b32decode(secret) == device.bin_key
    # Reloading keeps the same key (the QR code a user is scanning stays valid).
    english.get(reverse("two_factor_setup"))
    assert TOTPDevice.objects.filter(user=staff).count() == 1

    wrong = english.post(reverse("two_factor_setup"), {"token": wrong_token(device)})
    assert wrong.status_code == 200
    assert "This code does not match" in wrong.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False

    device.throttle_reset()
    done = english.post(reverse("two_factor_setup"), {"token": current_token(device)})
    assert done.status_code == 200
    device.refresh_from_db()
    assert device.confirmed is True
    codes = done.context["codes"]
    assert len(codes) == 10
    assert set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)) == set(codes)
    # The session that confirmed the device is verified: the admin opens.
    assert english.get("/admin/").status_code == 200
    # The page now tells the user it is on.
    assert "Two-factor authentication is on" in english.get(reverse("two_factor_setup")).content.decode()


def test_setup_is_for_staff_only(english, clerk):
    english.force_login(clerk)
    assert english.get(reverse("two_factor_setup")).status_code == 404


def test_removing_the_device_needs_a_current_code(english, staff, staff_totp, password, no_otp_throttle):
    login(english, "staffer", password)
    english.post(reverse("two_factor_verify"), {"token": current_token(staff_totp)})
    refused = english.post(reverse("two_factor_remove"), {"token": wrong_token(staff_totp)})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=staff).exists()

    staff_totp.refresh_from_db()
    staff_totp.last_t = -1
    staff_totp.save()
    response = english.post(reverse("two_factor_remove"), {"token": current_token(staff_totp)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    # Without a device the admin is closed again until a new one is set up.
    assert english.get("/admin/").status_code == 302


def test_users_without_a_device_sign_in_with_the_password_alone(client, clerk, password):
    assert login(client, "clerk", password).url == "/"
    assert get_user_model().objects.get(pk=client.session[SESSION_KEY]) == clerk
