from django.contrib import admin

from kefu.core.admin import AuditedAdmin
from kefu.workforce.models import Shift


@admin.register(Shift)
class ShiftAdmin(AuditedAdmin):
    list_display = ("agent", "group", "starts_at", "ends_at", "break_minutes")
    list_filter = ("group",)
    date_hierarchy = "starts_at"
    raw_id_fields = ("agent",)
