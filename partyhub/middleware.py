"""Request-wide middleware: login required by default, and the request context the audit reads."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.utils import translation

from . import request_context


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Every HTML view needs a login unless decorated with ``login_not_required``.

    API views (Django REST framework) are left to DRF, whose default permission is authenticated-only and
    which answers 401/403 in JSON instead of redirecting to the login page.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        if view_class is not None and hasattr(view_class, "permission_classes"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class RequestContextMiddleware:
    """Makes the acting user and their address available to the audit for the length of a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_context.bind(request)
        try:
            return self.get_response(request)
        finally:
            request_context.reset(token)


class LanguageMiddleware:
    """Vietnamese unless chosen: the language cookie (set by the language switch), else the signed-in user's
    preferred language, else Vietnamese. The browser's Accept-Language is ignored on purpose: many tablets
    and phones in the communes are set to English while their users expect the Vietnamese interface.

    Sits after AuthenticationMiddleware so it can read the user's preference."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def choose(self, request) -> str:
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if cookie in self.supported:
            return cookie
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.preferred_language in self.supported:
            return user.preferred_language
        return settings.LANGUAGE_CODE

    def __call__(self, request):
        language = self.choose(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch = response.headers.get("Vary", "")
        if "cookie" not in patch.lower():
            response.headers["Vary"] = f"{patch}, Cookie" if patch else "Cookie"
        translation.deactivate()
        return response
