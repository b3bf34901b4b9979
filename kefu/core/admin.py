from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from kefu.core import services
from kefu.core.errors import DomainError
from kefu.core.models import AccessLog, AuditEvent, Notification, Parameter, Region, User

admin.site.site_header = _("Kefu administration")
admin.site.site_title = _("Kefu administration")


class AuditedAdmin(admin.ModelAdmin):
    """Back-office edits go to the same audit trail as every other change (PLT-3)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changes = {name: _jsonable(form.cleaned_data.get(name)) for name in form.changed_data if name != "password"}
        services.record_change(request.user, obj, "update" if change else "create", changes)

    def delete_model(self, request, obj):
        services.record_change(request.user, obj, "delete")
        super().delete_model(request, obj)


def _jsonable(value):
    if hasattr(value, "pk"):
        return str(value)
    if hasattr(value, "__iter__") and not isinstance(value, str | dict):
        return [str(v) for v in value]
    return value if isinstance(value, str | int | float | bool | dict | type(None)) else str(value)


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ("name", "name_en", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "name_en", "code")


@admin.register(User)
class StaffAdmin(AuditedAdmin, UserAdmin):
    list_display = ("username", "first_name", "last_name", "region", "data_scope", "is_active")
    list_filter = ("groups", "data_scope", "is_active")
    list_select_related = ("region",)
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("Organisation"), {"fields": ("region", "data_scope", "employee_no", "locked_until")}),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "action", "object_type", "object_id", "detail", "channel")
    list_filter = ("action", "channel")


class ParameterForm(forms.ModelForm):
    class Meta:
        model = Parameter
        fields = ("key", "value")

    def clean(self):
        cleaned = super().clean()
        try:
            services.check_parameter(cleaned.get("key"), cleaned.get("value"))
        except DomainError as exc:
            self.add_error(exc.field, exc.message)
        return cleaned


@admin.register(Parameter)
class ParameterAdmin(admin.ModelAdmin):
    form = ParameterForm
    list_display = ("key", "value", "updated_at", "updated_by")
    readonly_fields = ("updated_at", "updated_by")

    def save_model(self, request, obj, form, change):
        # Through the service: validated against the parameter's default type, audited, caches dropped.
        services.set_parameter(request.user, obj.key, obj.value)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "role", "region", "kind", "subject", "text", "read_at")
    list_filter = ("kind",)
    list_select_related = ("recipient", "region")
