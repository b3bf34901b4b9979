from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from kefu.core.models import AccessLog, AuditEvent, Parameter, Region, User

admin.site.site_header = _("Kefu administration")
admin.site.site_title = _("Kefu administration")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "name_en", "code")


@admin.register(User)
class StaffAdmin(UserAdmin):
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


@admin.register(Parameter)
class ParameterAdmin(admin.ModelAdmin):
    list_display = ("key", "value", "updated_at", "updated_by")
    readonly_fields = ("updated_at", "updated_by")
