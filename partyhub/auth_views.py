"""Sign-in with an optional second factor, two-factor setup, and the lockout page.

Sign-in is two steps for a user with a confirmed TOTP or backup-code device:

1. :class:`LoginView` checks the password (django-axes counts failures per username and address). A user
   without a device is logged in at once. For a user with one, nothing is logged in yet: the session keeps a
   short-lived *pending sign-in* (user id, backend, the already-checked ``next``) and the browser goes on to
2. :func:`two_factor_verify`, which logs the user in (``django.contrib.auth.login``) and marks the session
   verified (``django_otp.login``) only after a right code.

The same page also verifies a session that is signed in but not verified (a device added after sign-in,
elsewhere); :mod:`partyhub.admin_site` sends unverified staff there before the admin opens.
"""

from __future__ import annotations

import time
from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model, user_login_failed
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import LoginForm, OTPTokenForm, TOTPConfirmForm

#: Session key of a sign-in whose password was right and whose second factor is still due.
PENDING_SESSION_KEY = "_partyhub_pending_login"
#: A pending sign-in lapses after this many seconds.
PENDING_MAX_AGE = 5 * 60
#: Wrong codes allowed for one pending sign-in before the password must be entered again.
PENDING_MAX_FAILURES = 5
#: Backup codes made when a user turns two-factor authentication on.
BACKUP_CODE_COUNT = 10


def safe_next(request: HttpRequest, url: str | None) -> str:
    """``url`` when it is a path or an address on this site, else the home page."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def is_verified(user) -> bool:
    """True when the session was verified with a second factor (django-otp's middleware sets this)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def may_use_two_factor(user) -> bool:
    """Two-factor setup is offered to staff; anybody who already has a device may manage it."""
    return user.is_authenticated and (user.is_staff or user_has_device(user, confirmed=None))


# --- step 1: password ---------------------------------------------------------------------------------


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user_has_device(user) and not is_verified(user):
            # Signed in, device added since: verifying is what is left to do, not a new password.
            return redirect_to_verify(request, self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        next_url = self.get_success_url()  # already checked against forged hosts and schemes
        if not user_has_device(user):
            auth_login(self.request, user)
            return redirect(next_url)
        self.request.session[PENDING_SESSION_KEY] = {
            "user_id": user.pk,
            "backend": user.backend,
            "next": next_url,
            "started": time.time(),
            "failures": 0,
        }
        return redirect("two_factor_verify")


def redirect_to_verify(request: HttpRequest, next_url: str) -> HttpResponse:
    request.session[PENDING_SESSION_KEY] = {
        "user_id": request.user.pk,
        "backend": request.session.get(BACKEND_SESSION_KEY, ""),
        "next": safe_next(request, next_url),
        "started": time.time(),
        "failures": 0,
    }
    return redirect("two_factor_verify")


# --- step 2: second factor ----------------------------------------------------------------------------


def _pending_user(request: HttpRequest, pending: dict | None):
    if not pending or time.time() - pending.get("started", 0) > PENDING_MAX_AGE:
        return None
    user = get_user_model()._default_manager.filter(pk=pending.get("user_id"), is_active=True).first()
    if user is None:
        return None
    if request.user.is_authenticated and request.user.pk != user.pk:
        return None
    return user


def _restart_login(request: HttpRequest, message: str) -> HttpResponse:
    request.session.pop(PENDING_SESSION_KEY, None)
    messages.error(request, message)
    return redirect("login")


@login_not_required
@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Second sign-in step: a code from the authenticator app (or a backup code)."""
    user = request.user
    pending = request.session.get(PENDING_SESSION_KEY)
    if user.is_authenticated:
        if is_verified(user) or not user_has_device(user):
            request.session.pop(PENDING_SESSION_KEY, None)
            return redirect(safe_next(request, (pending or {}).get("next") or request.GET.get("next")))
        if not pending:
            return redirect_to_verify(request, request.GET.get("next", ""))
    user = _pending_user(request, pending)
    if user is None:
        return _restart_login(request, _("Your sign-in has expired. Please sign in again."))

    form = OTPTokenForm(user, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            next_url = safe_next(request, pending.get("next"))
            request.session.pop(PENDING_SESSION_KEY, None)
            if not request.user.is_authenticated:
                auth_login(request, user, backend=pending.get("backend") or None)
            otp_login(request, form.device)
            return redirect(next_url)
        # Wrong codes count towards the same lockout as wrong passwords (django-axes listens to this signal).
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
        pending["failures"] = pending.get("failures", 0) + 1
        request.session[PENDING_SESSION_KEY] = pending
        if pending["failures"] >= PENDING_MAX_FAILURES:
            return _restart_login(request, _("Too many wrong codes. Please sign in again."))
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING_SESSION_KEY, None)
            return lockout_response(request)
    return render(request, "registration/two_factor_verify.html", {"form": form, "pending_user": user})


# --- two-factor setup ---------------------------------------------------------------------------------


def _svg_qr(data: str) -> str:
    """An inline SVG QR code of ``data`` (no external image, works offline)."""
    qr = segno.make(data, error="m")
    return qr.svg_inline(scale=5, border=2, dark="#111", light="#fff", title=_("QR code"))


def _group(secret: str, size: int = 4) -> str:
    return " ".join(secret[i : i + size] for i in range(0, len(secret), size))


def _new_backup_codes(user) -> list[str]:
    """Replace the user's backup codes with fresh ones and return them (shown once, stored only here)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=_("Backup codes"), confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@sensitive_post_parameters("token")
@never_cache
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Turn on two-factor authentication: scan the QR code, confirm with the first code."""
    user = request.user
    if not may_use_two_factor(user):
        raise Http404
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is not None:
        backup_left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
        return render(
            request,
            "registration/two_factor_status.html",
            {"device": confirmed, "backup_left": backup_left, "remove_form": OTPTokenForm(user)},
        )

    # Keep one unconfirmed device, so reloading the page shows the same QR code.
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    form = TOTPConfirmForm(device, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            codes = _new_backup_codes(user)
        otp_login(request, device)
        messages.success(request, _("Two-factor authentication is on."))
        return render(request, "registration/two_factor_backup_codes.html", {"codes": codes})

    secret = b32encode(device.bin_key).decode("ascii")
    context = {
        "form": form,
        "qr_svg": mark_safe(_svg_qr(device.config_url)),
        "secret": _group(secret),
        "issuer": getattr(settings, "OTP_TOTP_ISSUER", "PartyHub"),
        "account": user.get_username(),
    }
    return render(request, "registration/two_factor_setup.html", context)


@require_POST
@sensitive_post_parameters("token")
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    """Turn two-factor authentication off: needs a current code, so a borrowed session cannot do it."""
    user = request.user
    if not may_use_two_factor(user) or not user_has_device(user):
        raise Http404
    form = OTPTokenForm(user, request.POST)
    if not form.is_valid():
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        backup_left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
        return render(
            request,
            "registration/two_factor_status.html",
            {"device": device, "backup_left": backup_left, "remove_form": form},
            status=400,
        )
    with transaction.atomic():
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
    messages.success(request, _("Two-factor authentication is off."))
    return redirect("two_factor_setup")


# --- lockout ------------------------------------------------------------------------------------------


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: a translated page with the wait, HTTP 429."""
    cool_off = getattr(settings, "AXES_COOLOFF_TIME", None)
    minutes = None
    if cool_off is not None:
        seconds = cool_off.total_seconds() if hasattr(cool_off, "total_seconds") else float(cool_off) * 3600
        minutes = max(1, round(seconds / 60))
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
