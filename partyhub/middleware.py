"""Request-wide middleware: login required by default, and the request context the audit reads."""

from __future__ import annotations

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware

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
