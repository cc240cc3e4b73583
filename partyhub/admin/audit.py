"""Admin of the audit trail: read-only (no add, change or delete, not even for superusers)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import AuditChainHead, AuditEntry


class ReadOnlyAdminMixin:
    """Lets staff with the view permission look, and nobody write."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        return {}


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "created_at", "actor_repr", "action", "object_type", "object_link", "ip_address"]
    list_display_links = ["id", "created_at"]
    list_filter = ["action", "object_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_repr", "actor__username", "object_repr", "=object_id", "ip_address"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    list_per_page = 100
    # Counting a long trail on every page view is slow; the paginator shows "more" instead.
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["created_at", "action", "actor", "actor_repr", "ip_address", "user_agent"]}),
        (_("Object"), {"fields": ["object_type", "object_id", "object_repr", "changes_table"]}),
        (_("Hash chain"), {"fields": ["prev_hash", "entry_hash"], "classes": ["collapse"]}),
    ]
    readonly_fields = [
        "created_at",
        "action",
        "actor",
        "actor_repr",
        "ip_address",
        "user_agent",
        "object_type",
        "object_id",
        "object_repr",
        "changes_table",
        "prev_hash",
        "entry_hash",
    ]

    @admin.display(description=_("object"), ordering="object_repr")
    def object_link(self, obj: AuditEntry) -> str:
        if obj.object_id:
            return f"{obj.object_repr} (#{obj.object_id})"
        return obj.object_repr

    @admin.display(description=_("changes"))
    def changes_table(self, obj: AuditEntry) -> str:
        changes = obj.changes or {}
        if not changes:
            return "—"
        rows = []
        for name, value in sorted(changes.items()):
            if isinstance(value, list) and len(value) == 2:
                rows.append(format_html("<tr><th>{}</th><td>{}</td><td>→</td><td>{}</td></tr>", name, *value))
            else:
                rows.append(format_html("<tr><th>{}</th><td colspan='3'>{}</td></tr>", name, value))
        return format_html("<table>{}</table>", format_html("".join(["{}"] * len(rows)), *rows))


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "last_entry_id", "last_hash"]
    readonly_fields = ["id", "last_entry_id", "last_hash"]
