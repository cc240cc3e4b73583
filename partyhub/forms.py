"""Forms of the sign-in pages (password, second factor) and of the two-factor setup."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.models import VerifyNotAllowed


class LoginForm(AuthenticationForm):
    """Django's authentication form with the attributes phones and password managers need."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class TokenField(forms.CharField):
    """A one-time code: digits (or a backup code), spaces and dashes ignored."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Code"))
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("min_length", 6)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        )

    def to_python(self, value):
        value = super().to_python(value)
        return "".join(value.split()).replace("-", "").lower()


class OTPTokenForm(forms.Form):
    """The second sign-in step: a code from the user's authenticator app, or one of their backup codes.

    Tries every confirmed device of ``user``; each device throttles its own failures (django-otp doubles the
    wait after every wrong code), so guessing is slow. ``self.device`` is the device that accepted the code.
    """

    token = TokenField(help_text=_("The 6-digit code shown in your authenticator app, or one of your backup codes."))

    error_messages = {
        "invalid": _("This code is not valid. Check the time on your phone and try again."),
        "throttled": _("Too many wrong codes. Wait a minute, then try again."),
    }

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = None

    def clean(self):
        cleaned = super().clean()
        token = cleaned.get("token")
        if not token:
            return cleaned
        throttled = False
        with transaction.atomic():
            for device in devices_for_user(self.user, for_verify=True):
                allowed, data = device.verify_is_allowed()
                if not allowed:
                    throttled = throttled or (data or {}).get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS
                    continue
                if device.verify_token(token):
                    self.device = device
                    break
        if self.device is None:
            code = "throttled" if throttled else "invalid"
            raise forms.ValidationError(self.error_messages[code], code=code)
        return cleaned


class TOTPConfirmForm(forms.Form):
    """Confirms a new authenticator app: the first code it shows must be right."""

    token = TokenField(
        label=_("Code from the app"), max_length=6, help_text=_("Enter the 6-digit code the app shows now.")
    )

    error_messages = {
        "invalid": _("This code does not match. Check that the time on your phone is right and try again."),
    }

    def __init__(self, device, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self):
        token = self.cleaned_data["token"]
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        with transaction.atomic():
            if not self.device.verify_token(token):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return token
