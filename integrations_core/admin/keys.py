"""API keys: listed by prefix, created here (the key is shown once, in a message), revoked by an action.
The hash is never shown."""

from django.contrib import admin, messages

from ..api_keys import api_key_create, api_key_revoke
from ..models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "supplier", "name", "created_at", "last_used_at", "active"]
    list_filter = ["supplier"]
    search_fields = ["prefix", "name", "supplier__name"]
    list_select_related = ["supplier"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["supplier", "name"]
        return ["prefix", "supplier", "name", "created_by", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["prefix", "supplier", "created_by", "created_at", "last_used_at", "revoked_at"]

    @admin.display(boolean=True)
    def active(self, key):
        return key.active

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, raw = api_key_create(supplier=obj.supplier, name=obj.name, created_by=request.user)
        obj.pk = key.pk
        obj.__dict__.update({k: v for k, v in key.__dict__.items() if not k.startswith("_")})
        self.message_user(request, f"API key for {key.supplier}: {raw} — copy it now; it is not shown again.",
                          messages.WARNING)

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key)
        self.message_user(request, f"{queryset.count()} key(s) revoked; they stop working at once.")
