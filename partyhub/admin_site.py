"""The Django admin, with a second factor enforced.

``PartyHubAdminConfig`` replaces ``django.contrib.admin`` in INSTALLED_APPS, so ``admin.site`` (where every
app registers its models) is a :class:`PartyHubAdminSite`. It admits active staff whose session was verified
with a second factor (django-otp), like django-otp's ``OTPAdminSite``, and instead of the admin's own login
form it sends people through the site's sign-in: to the password page when signed out, to the code page
when the user has a device, and to the setup page when they do not have one yet.
"""

from __future__ import annotations

# Imported while INSTALLED_APPS loads: nothing here may import models at module level.
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class PartyHubAdminSite(AdminSite):
    site_header = _("PartyHub administration")
    site_title = _("PartyHub administration")
    index_title = _("Administration")

    def has_permission(self, request) -> bool:
        user = request.user
        is_verified = getattr(user, "is_verified", None)
        return super().has_permission(request) and bool(is_verified and is_verified())

    def login(self, request, extra_context=None):
        from django.contrib.auth.views import redirect_to_login
        from django_otp import user_has_device

        from .auth_views import redirect_to_verify, safe_next

        next_url = safe_next(request, request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url, reverse("login"))
        if not (user.is_active and user.is_staff):
            # Signed in but not staff: the admin does not exist for them.
            raise Http404
        if self.has_permission(request):
            return redirect(next_url)
        if user_has_device(user):
            return redirect_to_verify(request, next_url)
        messages.warning(
            request, gettext("The administration needs two-factor authentication. Please turn it on first.")
        )
        return redirect("two_factor_setup")


class PartyHubAdminConfig(AdminConfig):
    default_site = "partyhub.admin_site.PartyHubAdminSite"
