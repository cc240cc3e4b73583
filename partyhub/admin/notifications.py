"""Admin of notifications, notification preferences and the task outbox."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Notification, NotificationPreference, OutboxMessage


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter), ("emailed_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "body", "recipient__username", "recipient__full_name", "recipient__email"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["created_at", "read_at", "emailed_at"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled"]
    list_filter = ["email_enabled"]
    search_fields = ["user__username", "user__full_name", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "task_name", "created_at", "attempts", "short_error"]
    list_filter = ["task_name"]
    search_fields = ["task_name", "last_error"]
    readonly_fields = ["task_name", "args", "kwargs", "created_at", "attempts", "last_error"]
    actions = ["relay_now"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboxMessage) -> str:
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description=_("Send the whole outbox again now"), permissions=["change"])
    def relay_now(self, request, queryset):
        from ..queue import relay

        result = relay()
        text = ngettext(
            "%(sent)d message sent, %(failed)d still waiting.",
            "%(sent)d messages sent, %(failed)d still waiting.",
            result["sent"],
        )
        self.message_user(
            request,
            text % result,
            messages.SUCCESS if not result["failed"] else messages.WARNING,
        )
