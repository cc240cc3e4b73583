"""Template context every page needs."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

#: Each language in its own name, so a reader of the other language still finds theirs.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


@dataclass(frozen=True)
class NavSection:
    """A main-menu entry: shown to users holding one of ``roles`` (empty = everybody signed in), and only
    once one of ``url_names`` exists, so sections of apps still to come appear by themselves."""

    label: str
    url_names: tuple[str, ...]
    roles: frozenset[str] = frozenset()
    staff_only: bool = False


_OFFICE = frozenset({"leader", "clerk", "handler", "admin"})

#: The main menu, in order.
NAV_SECTIONS: tuple[NavSection, ...] = (
    NavSection(_("Home"), ("home",)),
    NavSection(_("Handbook"), ("members:handbook",), frozenset({"member"})),
    NavSection(_("Library"), ("documents:library",)),
    NavSection(_("Documents"), ("documents:index", "documents:list"), _OFFICE | {"cell_secretary"}),
    NavSection(_("Meetings"), ("meetings:index", "meetings:list"), _OFFICE | {"cell_secretary", "delegate", "member"}),
    NavSection(
        _("Members"),
        ("members:index", "members:list", "members:organization_list"),
        frozenset({"leader", "clerk", "cell_secretary", "admin"}),
    ),
    NavSection(_("Administration"), ("admin:index",), staff_only=True),
)


def _first_url(url_names: tuple[str, ...]) -> str | None:
    """The path of the first of ``url_names`` that exists."""
    for name in url_names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def _is_current(path: str, url: str) -> bool:
    return path == url if url == "/" else path.startswith(url)


def navigation(request) -> list[dict]:
    """The main-menu entries ``request.user`` may see, with the current one marked."""
    from members.selectors import roles_for

    user = request.user
    roles = roles_for(user)
    items = []
    for section in NAV_SECTIONS:
        if section.staff_only and not user.is_staff:
            continue
        if section.roles and not (roles & section.roles) and not user.is_superuser:
            continue
        url = _first_url(section.url_names)
        if url is None:
            continue
        items.append({"label": section.label, "url": url, "current": False})
    # Only the most specific entry is current: /members/handbook/ marks "Handbook", not also "Members".
    matching = [item for item in items if _is_current(request.path, item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["current"] = True
    return items


def _user_menu(request) -> list[dict]:
    """Entries of the user menu above the logout button."""
    user = request.user
    entries = [
        (_("Notifications"), ("notifications:list",), True),
        (_("Preferences"), ("notifications:preferences", "preferences"), True),
        (_("Change password"), ("password_change",), True),
        (_("Two-factor authentication"), ("two_factor_setup",), user.is_staff),
    ]
    menu = []
    for label, names, shown in entries:
        url = _first_url(names) if shown else None
        if url:
            menu.append({"label": label, "url": url, "current": _is_current(request.path, url)})
    return menu


def layout(request):
    """What ``base.html`` needs on every page: the app name, the language switch, and for a signed-in
    user the main menu by role and the user menu."""
    context = {
        "app_name": "PartyHub",
        "language_choices": [(code, LANGUAGE_NAMES.get(code, code)) for code, _name in settings.LANGUAGES],
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["nav_items"] = navigation(request)
        context["user_menu"] = _user_menu(request)
    return context


def notifications(request):
    """The unread counter in the header: ``unread_notification_count`` (one COUNT query, signed-in users only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .notifications import unread_count

    return {"unread_notification_count": unread_count(user)}
