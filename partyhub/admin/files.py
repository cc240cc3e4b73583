"""Admin for private files: read-only (files arrive only through ``partyhub.files.store_upload``)."""

from __future__ import annotations

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from partyhub.models import StoredFile


@admin.register(StoredFile)
class StoredFileAdmin(admin.ModelAdmin):
    list_display = ["original_name", "content_type", "human_size", "uploaded_by", "created_at", "short_sha256"]
    list_filter = ["content_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["original_name", "^sha256", "storage_name"]
    date_hierarchy = "created_at"
    list_select_related = ["uploaded_by"]
    list_per_page = 50
    fields = [
        "original_name",
        "content_type",
        "human_size",
        "sha256",
        "storage_name",
        "uploaded_by",
        "created_at",
        "download_link",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # uploads go through the validator, never the admin

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # rows are referenced by documents; removing bytes is files_check's job

    @admin.display(description=_("size"), ordering="size")
    def human_size(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description=_("SHA-256"))
    def short_sha256(self, obj):
        return format_html('<span title="{}">{}…</span>', obj.sha256, obj.sha256[:12])

    @admin.display(description=_("download"))
    def download_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("files:download", args=[obj.pk]), _("Download"))
