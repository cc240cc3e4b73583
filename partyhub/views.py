from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse

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
