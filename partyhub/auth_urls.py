"""Sign-in, sign-out, password change and reset, two-factor authentication (mounted under /accounts/).

Django's auth views, with our templates. Sign-in and password-reset pages are public
(``login_not_required``: Django marks its own views so); everything else needs a signed-in user.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as django_auth_views
from django.urls import path

from . import auth_views


class PasswordResetView(django_auth_views.PasswordResetView):
    """Links in the mail point at the public address of the site, never at a Host header."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        public = urlsplit(settings.PUBLIC_BASE_URL)
        if public.netloc:
            self.extra_email_context = {
                "protocol": public.scheme or "https",
                "domain": public.netloc,
                "site_name": public.netloc,
            }
        return super().form_valid(form)


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("login/verify/", auth_views.two_factor_verify, name="two_factor_verify"),
    path("logout/", django_auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", django_auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", django_auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", django_auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        django_auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        django_auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("two-factor/", auth_views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/remove/", auth_views.two_factor_remove, name="two_factor_remove"),
]
