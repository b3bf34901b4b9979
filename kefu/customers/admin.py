from django.contrib import admin

from kefu.customers.models import PricePlan


@admin.register(PricePlan)
class PricePlanAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "brand", "monthly_fee_fen")
    list_filter = ("brand",)
