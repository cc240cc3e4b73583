"""Pages of the notifications area: the list, mark read, follow a link, preferences, the header badge.

Every view works on ``notifications_for(request.user)``: another user's notification answers 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .models import NotificationPreference
from .notifications import (
    is_local_url,
    notification_mark_read,
    notification_preferences_update,
    notifications_for,
    notifications_mark_all_read,
    unread_count,
)

PAGE_SIZE = 20


class NotificationPreferenceForm(forms.Form):
    email_enabled = forms.BooleanField(
        label=gettext_lazy("Also send my notifications by e-mail"),
        required=False,
        help_text=gettext_lazy("In-app notifications are always shown; this adds an e-mail for each one."),
    )


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _list_context(request: HttpRequest) -> dict:
    paginator = Paginator(notifications_for(request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return {"page_obj": page, "notifications": page.object_list, "paginator": paginator}


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, unread first, 20 a page."""
    context = _list_context(request)
    if _is_htmx(request) and not getattr(request.htmx, "boosted", False):
        return render(request, "partyhub/notifications/_list.html", context)
    return render(request, "partyhub/notifications/list.html", context)


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read. htmx gets the updated item and the badge (out of band)."""
    notification = get_object_or_404(notifications_for(request.user), pk=pk)
    notification_mark_read(notification=notification, actor=request.user)
    if _is_htmx(request):
        # The read item replaces the unread one; the badge is updated out of band.
        html = render_to_string(
            "partyhub/notifications/_item_read.html",
            {"notification": notification, "unread_notification_count": unread_count(request.user)},
        )
        return HttpResponse(html)
    return redirect(_safe_next(request) or reverse("notifications:list"))


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark every notification of the user read."""
    changed = notifications_mark_all_read(actor=request.user)
    if _is_htmx(request):
        context = _list_context(request)
        context["unread_notification_count"] = 0
        context["oob_badge"] = True
        return render(request, "partyhub/notifications/_list.html", context)
    if changed:
        messages.success(request, _("All notifications are marked as read."))
    return redirect(_safe_next(request) or reverse("notifications:list"))


@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link: marks it read, then redirects — only ever to a path on this site."""
    notification = get_object_or_404(notifications_for(request.user), pk=pk)
    notification_mark_read(notification=notification, actor=request.user)
    if notification.url and is_local_url(notification.url):
        return redirect(notification.url)
    if notification.url:
        messages.warning(request, _("This notification's link leads outside PartyHub and was not followed."))
    return redirect("notifications:list")


@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """The user's own notification settings."""
    preference = NotificationPreference.objects.filter(user=request.user).first()
    current = preference.email_enabled if preference else True
    if request.method == "POST":
        form = NotificationPreferenceForm(request.POST)
        if form.is_valid():
            notification_preferences_update(actor=request.user, email_enabled=form.cleaned_data["email_enabled"])
            messages.success(request, _("Your notification preferences were saved."))
            return redirect("notifications:preferences")
    else:
        form = NotificationPreferenceForm(initial={"email_enabled": current})
    return render(
        request,
        "partyhub/notifications/preferences.html",
        {"form": form, "has_email": bool(request.user.email)},
    )


@require_GET
def notification_badge(request: HttpRequest) -> HttpResponse:
    """The header badge alone, for htmx polling."""
    html = render_to_string(
        "partyhub/notifications/_badge.html", {"unread_notification_count": unread_count(request.user)}
    )
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    return response
