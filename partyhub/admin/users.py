"""Admin of user accounts: Django's UserAdmin plus our fields and the linked member record."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.utils.translation import gettext_lazy as _

User = get_user_model()


class PartyHubUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "full_name", "email", "preferred_language")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = PartyHubUserCreationForm
    list_display = [
        "username",
        "full_name",
        "email",
        "phone",
        "preferred_language",
        "member_link",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
    ]
    list_filter = ["is_active", "is_staff", "is_superuser", "preferred_language", "groups"]
    search_fields = ["username", "full_name", "email", "phone", "member__full_name", "member__party_card_number"]
    list_select_related = ["member"]
    ordering = ["username"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["full_name", "first_name", "last_name", "email", "phone"]}),
        (_("Preferences"), {"fields": ["preferred_language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "username",
                    "full_name",
                    "email",
                    "preferred_language",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description=_("member"), ordering="member__full_name")
    def member_link(self, obj) -> str:
        member = getattr(obj, "member", None)
        return str(member) if member is not None else "—"
