from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .home import home_view as home  # noqa: F401  (``/``, name "home")


@login_not_required
def healthz(request):
    """Public liveness/readiness probe: the database, and Redis when configured; 503 when one is down."""
    from django.http import HttpResponseNotAllowed

    from .health import run_checks

    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    healthy, checks = run_checks()
    response = JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_POST
def set_language(request):
    """The language switch (public, so the sign-in page has it too): Django's view sets the cookie and
    redirects to a safe local ``next``; a signed-in user's choice is also kept as their preference, which
    notifications and e-mails follow."""
    response = django_set_language(request)
    language = request.POST.get("language")
    user = request.user
    supported = {code for code, _name in settings.LANGUAGES}
    if user.is_authenticated and language in supported and user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return response
