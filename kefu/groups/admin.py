"""Administration of the group reference data (service plan, VPMN discount plans, group products), edited and
audited here. Groups, members and monthly figures are read-only here: they change only through
kefu.groups.services and the monthly recomputation (validation, scope, member count, audit)."""

from django.contrib import admin

from kefu.core.admin import AuditedAdmin, ReadOnlyAdmin
from kefu.groups.models import GroupCustomer, GroupMonth, GroupProduct, ServicePlanItem, VpmnDiscountPlan


@admin.register(GroupCustomer)
class GroupCustomerAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "grade", "nature", "industry", "region", "customer_manager", "member_count")
    list_filter = ("grade", "nature", "industry", "status", "is_key_group")
    search_fields = ("code", "name")
    list_select_related = ("region", "customer_manager")


@admin.register(GroupMonth)
class GroupMonthAdmin(ReadOnlyAdmin):
    list_display = ("group", "month", "members_at_end", "spend_fen", "rank", "is_key_group")
    list_filter = ("month", "is_key_group")
    list_select_related = ("group",)


@admin.register(ServicePlanItem)
class ServicePlanItemAdmin(AuditedAdmin):
    list_display = ("grade", "kind", "times", "period")
    list_filter = ("grade", "period")


@admin.register(VpmnDiscountPlan)
class VpmnDiscountPlanAdmin(AuditedAdmin):
    list_display = ("code", "name", "onnet_discount_percent", "monthly_fee_fen", "active")
    list_filter = ("active",)
    search_fields = ("code", "name")


@admin.register(GroupProduct)
class GroupProductAdmin(AuditedAdmin):
    list_display = ("code", "name", "kind", "monthly_fee_fen", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")
