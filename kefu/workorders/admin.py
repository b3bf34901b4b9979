"""Administration of the work-order reference data. Orders, timelines and timers are read-only here:
they change only through kefu.workorders.services (locks, versions, audit). Workflow definitions are
edited through the workflow API (drafts validated, published versions immutable)."""

from django.contrib import admin

from kefu.core.admin import AuditedAdmin, ReadOnlyAdmin
from kefu.workorders.models import (
    Category,
    Listener,
    OutboxEvent,
    Timer,
    Workflow,
    WorkflowVersion,
    WorkOrder,
    WorkOrderEvent,
)


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("code", "name", "name_en", "kind", "parent", "workflow", "requires_customer", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name", "name_en")
    list_select_related = ("parent", "workflow")


class VersionInline(admin.TabularInline):
    model = WorkflowVersion
    fields = ("number", "note", "published_at", "published_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Workflow)
class WorkflowAdmin(AuditedAdmin):
    list_display = ("code", "name", "name_en")
    search_fields = ("code", "name", "name_en")
    inlines = [VersionInline]


class EventInline(admin.TabularInline):
    model = WorkOrderEvent
    fields = ("at", "kind", "step", "actor", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "category", "status", "step", "handler", "handling_region", "step_due_at")
    list_filter = ("status", "category__kind", "cross_region")
    search_fields = ("number", "title")
    list_select_related = ("category", "handler", "handling_region")
    inlines = [EventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user)


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    list_display = ("order", "kind", "step", "due_at", "fired_at", "attempts", "last_error")
    list_filter = ("kind",)
    list_select_related = ("order",)


@admin.register(Listener)
class ListenerAdmin(ReadOnlyAdmin):
    list_display = ("id", "callback", "query", "owner", "created_at")


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "event_type", "listener", "attempts", "next_attempt_at", "delivered_at", "dead")
    list_filter = ("event_type", "dead")
    list_select_related = ("listener",)
