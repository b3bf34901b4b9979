from django.contrib import admin

from kefu.core.admin import AuditedAdmin
from kefu.customers.models import PricePlan


@admin.register(PricePlan)
class PricePlanAdmin(AuditedAdmin):
    list_display = ("name", "code", "brand", "monthly_fee_fen")
    list_filter = ("brand",)
