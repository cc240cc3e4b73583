"""Deny by default: every URL pattern of the project refuses an anonymous visitor.

The list of patterns is computed from the URLconf, so URLs added later are covered without editing this file;
only the public allowlist below is written by hand. A pattern for which no sample path can be built fails the
test (add a sample value to ``SAMPLE_VALUES``), so nothing is skipped silently.
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.regex_helper import normalize

#: Views a visitor may open without signing in (by URL name), and path prefixes served as public files.
PUBLIC_NAMES = {
    "login",
    "logout",
    "two_factor_verify",  # the second step of signing in; it sends visitors without a pending sign-in back
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set_language",  # Django marks it public; it only sets the language cookie
    "healthz",
    # The public library (issue 5): resolutions published to the public, read without an account.
    "public_library",
    "public_library_detail",
    "public-library-list",
    "public-library-detail",
}
PUBLIC_PREFIXES = (settings.STATIC_URL,)

#: Values tried for path parameters, in order, until the path resolves to the pattern under test.
SAMPLE_VALUES = [
    "1",
    str(uuid.UUID("8f14e45f-ceea-467f-a0e6-5b6bd8f3a1c2")),
    "demo",
    "MQ",
    "set-password",
    "2026",
    "a/b.pdf",
]

REFUSED = {401, 403, 404, 405}


@dataclass(frozen=True)
class Endpoint:
    path: str
    name: str
    pattern: str


def _level_samples(pattern) -> list[str]:
    """Sample strings one URL pattern level matches (route converters and regex groups filled)."""
    if isinstance(pattern, RoutePattern | RegexPattern):
        template, params = normalize(pattern.regex.pattern)[0]
    else:  # pragma: no cover - LocalePrefixPattern and custom patterns
        return [str(pattern)]
    if not params:
        return [template]
    candidates = []
    for param in params:
        values = list(SAMPLE_VALUES)
        # A group that lists its alternatives (the admin's app labels, model names): take those first.
        group = re.search(rf"\(\?P<{param}>([\w|\-]+)\)", pattern.regex.pattern)
        if group:
            values = group.group(1).split("|")[:2] + values
        candidates.append(values)
    samples = []
    for combo in itertools.product(*candidates):
        sample = template % dict(zip(params, combo, strict=True))
        if pattern.regex.fullmatch(sample) or pattern.regex.match(sample):
            samples.append(sample)
        if len(samples) >= 3:
            break
    return samples


def _walk(resolver: URLResolver, prefix_levels=(), names=()):
    for entry in resolver.url_patterns:
        levels = (*prefix_levels, entry.pattern)
        if isinstance(entry, URLResolver):
            namespace = (*names, entry.namespace) if entry.namespace else names
            yield from _walk(entry, levels, namespace)
        elif isinstance(entry, URLPattern):
            name = ":".join((*names, entry.name)) if entry.name else ""
            yield levels, name, entry


def endpoints() -> list[Endpoint]:
    found = []
    for levels, name, entry in _walk(get_resolver()):
        description = "".join(str(level) for level in levels)
        built = None
        for parts in itertools.product(*(_level_samples(level) for level in levels)):
            path = "/" + "".join(parts)
            try:
                match = resolve(path)
            except Resolver404:
                continue
            if match.func == entry.callback or match.route == description.replace("^", "").replace("$", ""):
                built = path
                break
        found.append(Endpoint(path=built or "", name=name, pattern=description))
    return found


ENDPOINTS = endpoints()


def _is_public(endpoint: Endpoint) -> bool:
    bare_name = endpoint.name.rsplit(":", 1)[-1] if endpoint.name and ":" not in endpoint.name else endpoint.name
    return bare_name in PUBLIC_NAMES or endpoint.path.startswith(PUBLIC_PREFIXES)


def test_the_walk_finds_the_project_urls():
    names = {e.name for e in ENDPOINTS}
    assert {"home", "login", "api-me", "organization-list", "organization-detail", "admin:index"} <= names
    assert len(ENDPOINTS) > 30


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.pattern or e.name)
def test_sample_path_can_be_built(endpoint):
    assert endpoint.path, f"no sample path resolves to {endpoint.pattern!r}: add a value to SAMPLE_VALUES"


def _sign_in_paths() -> set[str]:
    """The site's sign-in page, and the admin's (which sends visitors on to the site's)."""
    return {reverse(settings.LOGIN_URL), reverse("admin:login")}


def _assert_refused(response, sign_in: set[str], label: str) -> None:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response["Location"]
        assert urlsplit(location).path in sign_in, f"{label}: redirects to {location}, not to the sign-in page"
        return
    assert status in REFUSED, f"{label}: anonymous request answered {status}"


@pytest.mark.parametrize(
    "endpoint", [e for e in ENDPOINTS if e.path and not _is_public(e)], ids=lambda e: e.pattern or e.name
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_request_is_refused(client, db, endpoint, method):
    response = getattr(client, method)(endpoint.path)
    _assert_refused(response, _sign_in_paths(), f"{method.upper()} {endpoint.path} ({endpoint.pattern})")


def test_public_allowlist_is_short_and_real():
    """The allowlist names URLs that exist, so a renamed public view cannot widen it silently."""
    assert len(PUBLIC_NAMES) <= 14
    existing = {e.name for e in ENDPOINTS}
    assert existing >= PUBLIC_NAMES, PUBLIC_NAMES - existing


def test_the_walk_detects_an_open_view(client, db, settings):
    """A view that forgets the login requirement is caught by the same check (proves the test can fail)."""
    from django.contrib.auth.decorators import login_not_required
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    import partyhub.urls as root

    @login_not_required
    def leaky(request, pk):
        return HttpResponse("secret list")

    class Patched:
        urlpatterns = [path("leak/<int:pk>/", leaky, name="leak"), *root.urlpatterns]

    settings.ROOT_URLCONF = Patched
    clear_url_caches()
    try:
        leak = next(e for e in endpoints() if e.name == "leak")
        assert leak.path == "/leak/1/"
        with pytest.raises(AssertionError, match="answered 200"):
            _assert_refused(client.get(leak.path), _sign_in_paths(), "GET /leak/1/")
    finally:
        clear_url_caches()
