"""Back-office configuration of the contact centre: centres, skill groups and their rules, agents and
their skills, wrap-up codes, IVR menus, the do-not-call list. Every change is audited and reaches the
centre's router (a `config.reload` after the commit: new groups and changed rules; skills apply at
the agent's next login). Contacts and outbound tasks are read-only here."""

from django.contrib import admin

from kefu.contact import services
from kefu.contact.models import (
    Agent,
    AgentSkill,
    Contact,
    ContactCentre,
    DoNotCall,
    IvrMenu,
    IvrNode,
    OutboundTask,
    SkillGroup,
    WrapUpCode,
)
from kefu.core.admin import AuditedAdmin, ReadOnlyAdmin


class ReloadsRouter(AuditedAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.reload_config(self.centre_of(obj))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.reload_config(self.centre_of(form.instance))

    def centre_of(self, obj) -> ContactCentre:
        return obj if isinstance(obj, ContactCentre) else obj.centre


@admin.register(ContactCentre)
class ContactCentreAdmin(ReloadsRouter):
    list_display = ("code", "name", "region", "auto_answer", "service_level_seconds")
    search_fields = ("code", "name")


@admin.register(SkillGroup)
class SkillGroupAdmin(ReloadsRouter):
    list_display = ("code", "name", "centre", "region", "overflow_after", "callback_threshold", "aht", "active")
    list_filter = ("centre", "active")
    search_fields = ("code", "name")
    filter_horizontal = ("overflow_to",)
    list_select_related = ("centre", "region")


class AgentSkillInline(admin.TabularInline):
    model = AgentSkill
    extra = 1


@admin.register(Agent)
class AgentAdmin(ReloadsRouter):
    list_display = ("code", "user", "centre", "extension", "active")
    list_filter = ("centre", "active")
    search_fields = ("code", "user__username", "user__first_name", "user__last_name")
    list_select_related = ("user", "centre")
    raw_id_fields = ("user",)
    inlines = [AgentSkillInline]


@admin.register(WrapUpCode)
class WrapUpCodeAdmin(AuditedAdmin):
    list_display = ("code", "name", "position", "active")
    list_editable = ("position", "active")


class IvrNodeInline(admin.TabularInline):
    model = IvrNode
    extra = 1
    fields = ("parent", "digit", "label", "kind", "service", "group", "prompt")


@admin.register(IvrMenu)
class IvrMenuAdmin(AuditedAdmin):
    list_display = ("code", "name", "centre", "entry", "survey", "active")
    list_filter = ("centre", "active")
    inlines = [IvrNodeInline]


@admin.register(DoNotCall)
class DoNotCallAdmin(AuditedAdmin):
    list_display = ("msisdn", "reason", "until", "added_by", "added_at")
    search_fields = ("msisdn",)
    readonly_fields = ("added_by",)

    def save_model(self, request, obj, form, change):
        obj.added_by = obj.added_by or request.user
        super().save_model(request, obj, form, change)


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "channel", "direction", "queue", "agent", "outcome", "wrap_up", "call_id", "leg")
    list_filter = ("channel", "direction", "outcome", "centre")
    search_fields = ("call_id",)
    list_select_related = ("agent",)
    date_hierarchy = "started_at"


@admin.register(OutboundTask)
class OutboundTaskAdmin(ReadOnlyAdmin):
    list_display = ("pk", "source", "status", "attempts", "max_attempts", "next_attempt_at", "assigned_to")
    list_filter = ("source", "status", "centre")
