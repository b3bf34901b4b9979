"""System parameters (SYS-3): every threshold is a parameter with a named default."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core.cache import TTLCache


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    default: Any
    description: str


SPECS: dict[str, ParameterSpec] = {
    spec.key: spec
    for spec in [
        ParameterSpec("security.lockout_after_failures", 5, _("Failed logins in a row that lock an account")),
        ParameterSpec("security.lockout_minutes", 15, _("Minutes an account stays locked")),
        ParameterSpec("security.api_token_hours", 12, _("Hours an API token stays valid")),
        ParameterSpec("customers.recent_bill_months", 6, _("Bills shown on the customer 360 view")),
        ParameterSpec("customers.recent_contacts", 10, _("Contacts shown on the customer 360 view")),
        ParameterSpec("customers.good_credit_level", 3, _("Lowest credit level counted as good credit")),
        # Contact centre (CC-3, CC-4, CC-7): routing weights, not-ready reasons, outbound retries.
        ParameterSpec(
            "contact.vip_weights",
            {"diamond": 240, "gold": 180, "silver": 120, "high_value": 60, "ordinary": 0},
            _("Queue head start of each VIP tier in seconds of waiting (applies when no call is queued)"),
        ),
        ParameterSpec(
            "contact.not_ready_reasons",
            ["meeting", "training", "coaching", "paperwork", "other"],
            _("Reasons an agent may give for not ready (示忙)"),
        ),
        ParameterSpec("contact.checkpoint_events", 1000, _("Router events between two checkpoints")),
        ParameterSpec("contact.outbound_retry_minutes", [10, 60, 240], _("Minutes before each retry of a callback")),
        ParameterSpec("contact.outbound_max_attempts", 3, _("Attempts before an outbound task is given up")),
        # Key accounts (KA-1..3): the defaults of a new rule version, and the points ledger.
        ParameterSpec(
            "keyaccounts.vip_min_avg_spend_yuan",
            150,
            _("Default VIP qualification: lowest average monthly spend in yuan over the past 12 months"),
        ),
        ParameterSpec(
            "keyaccounts.tier_thresholds_yuan",
            {"diamond": 1000, "gold": 500, "silver": 300, "high_value": 150},
            _("Default lowest average monthly spend in yuan of each VIP tier"),
        ),
        ParameterSpec(
            "keyaccounts.points_expiry_years",
            2,
            _("Points expire at the end of this many calendar years after the year they were earned"),
        ),
        ParameterSpec("keyaccounts.preview_sample_per_move", 5, _("Sample customers per tier move in a preview")),
        # Key accounts (KA-4..7): privileges, appointments, customer managers, service standards.
        ParameterSpec(
            "keyaccounts.partner_allowance_per_year",
            {"lounge": {"diamond": 12, "gold": 6, "silver": 4, "high_value": 2}, "pickup": {"diamond": 4}},
            _("Persons a year per VIP tier for partner services: lounge (airport and railway together), pick-up"),
        ),
        ParameterSpec("keyaccounts.appointment_reminder_hours", 24, _("Hours before an appointment its reminder goes")),
        ParameterSpec(
            "keyaccounts.reminder_days_ahead",
            {"birthday": 3, "contract_end": 30},
            _("Days ahead a customer manager is reminded of a birthday and of a contract's end"),
        ),
        ParameterSpec(
            "keyaccounts.churn_drop_pct", 20, _("Churn warning: the last 3 bills fall, the last this % below the first")
        ),
        ParameterSpec(
            "keyaccounts.service_standards",
            {
                "diamond": {"callback_hours": 24, "contacts_per_quarter": 3, "satisfaction_pct": 95},
                "gold": {"callback_hours": 24, "contacts_per_quarter": 2, "satisfaction_pct": 92},
                "silver": {"callback_hours": 48, "contacts_per_quarter": 1, "satisfaction_pct": 90},
                "high_value": {"callback_hours": 48, "contacts_per_quarter": 1, "satisfaction_pct": 85},
            },
            _("Service standards per VIP tier: callback time limit, manager contacts per quarter, satisfaction %"),
        ),
        ParameterSpec(
            "keyaccounts.manager_score_weights",
            {"revenue": 40, "retention": 30, "satisfaction": 20, "tasks": 10},
            _("Weights of the customer manager's monthly score (revenue, retention, satisfaction, tasks)"),
        ),
        # Work orders (WO-3, WO-7): time limits per category (or kind) × VIP tier, calendars, escalation.
        ParameterSpec(
            "workorders.sla_hours",
            {
                "complaint": {"diamond": 24, "gold": 24, "silver": 24, "high_value": 24, "ordinary": 48},
                "inquiry": {"diamond": 24, "gold": 24, "silver": 24, "high_value": 24, "ordinary": 48},
                "business": {"diamond": 24, "gold": 24, "silver": 48, "high_value": 48, "ordinary": 72},
                "suggestion": {"default": 120},
                "cross_region": {"diamond": 48, "gold": 48, "silver": 48, "high_value": 48, "ordinary": 72},
            },
            _("Work-order time limit in hours by category code or kind and VIP tier"),
        ),
        ParameterSpec(
            "workorders.first_response_hours",
            {"diamond": 2, "gold": 2},
            _("Hours to the first reply to the customer by VIP tier (tiers not listed: no limit)"),
        ),
        ParameterSpec(
            "workorders.calendars",
            {
                "complaint": "24x7",
                "inquiry": "24x7",
                "business": "business_hours",
                "suggestion": "business_hours",
                "cross_region": "business_hours",
            },
            _("Calendar of the time limits by category code or kind: 24x7 or business_hours"),
        ),
        ParameterSpec(
            "workorders.business_hours",
            {"opens": "08:30", "closes": "17:30", "weekdays": [1, 2, 3, 4, 5]},
            _("Business hours for work-order time limits (weekdays: 1 Monday … 7 Sunday)"),
        ),
        ParameterSpec("workorders.holidays", [], _("Public holidays (YYYY-MM-DD) not counted in business hours")),
        ParameterSpec("workorders.workdays", [], _("Make-up working days (YYYY-MM-DD) counted in business hours")),
        ParameterSpec("workorders.warning_ratio", 0.8, _("Share of a time limit after which a warning is sent")),
        ParameterSpec(
            "workorders.escalation_reassign",
            "none",
            _("On escalation: none (keep the handler), pool (back to the group queue) or leader"),
        ),
        ParameterSpec(
            "workorders.duplicate_hours", 72, _("Hours in which the same customer and category count as a duplicate")
        ),
        ParameterSpec("workorders.due_soon_hours", 2, _("Hours ahead counted as due soon in monitoring lists")),
        ParameterSpec("workorders.attachment_max_bytes", 10 * 1024 * 1024, _("Largest work-order attachment in bytes")),
        ParameterSpec(
            "workorders.attachment_types",
            ["pdf", "jpg", "jpeg", "png", "gif", "txt", "doc", "docx", "xls", "xlsx", "amr", "mp3", "wav"],
            _("File types accepted as work-order attachments"),
        ),
        ParameterSpec(
            "workorders.tmf_ticket_types",
            {
                "complaint": "complaint-other",
                "complain": "complaint-other",
                "inquiry": "inquiry",
                "request": "business",
                "suggestion": "suggestion",
                "*": "complaint-fault",
            },
            _("TMF621 ticketType to work-order category (* for any other type)"),
        ),
        # Group customers and VPMN (GRP-1..4).
        ParameterSpec("groups.min_members", 10, _("Members a group needs to qualify as a group customer")),
        ParameterSpec(
            "groups.key_group_share_pct",
            30,
            _("Share of groups, by spend from the top, flagged as key groups (集团大客户) each month"),
        ),
        ParameterSpec("groups.vpmn_min_gotone_members", 10, _("GoTone members a group needs to apply for a VPMN")),
        ParameterSpec(
            "groups.short_number_digits", [3, 6], _("Fewest and most digits of a VPMN short number (first digit not 0)")
        ),
        ParameterSpec("groups.renewal_days_ahead", 60, _("Days before a VPMN agreement ends its renewal starts")),
        ParameterSpec(
            "groups.renewal_skip_steps",
            {"A": ["approval"], "B": [], "C": []},
            _("Steps of the VPMN renewal a group of each grade skips (the seed lets A/B/C simplify renewal)"),
        ),
        ParameterSpec(
            "groups.standards",
            {
                "A": {"satisfaction_pct": 80, "awareness_pct": 100},
                "B": {"satisfaction_pct": 77, "awareness_pct": 95},
                "C": {"satisfaction_pct": 75, "awareness_pct": 90},
            },
            _("Group service standards per grade: satisfaction % and contact-person awareness %"),
        ),
        ParameterSpec("groups.collective_churn_max_pct", 0.5, _("Highest collective churn of groups in a period (%)")),
        ParameterSpec("groups.internal_churn_max_pct", 3, _("Highest internal churn of group members in a period (%)")),
    ]
}


# Parameters are read on hot paths (the 360 view): each process keeps them for a few seconds, so a change
# made in the UI reaches every worker process within CACHE_SECONDS.
CACHE_SECONDS = 10.0
_cache = TTLCache(CACHE_SECONDS)


def get(key: str) -> Any:
    spec = SPECS[key]
    return _cache.get_or_compute("all", _load).get(key, spec.default)


def _load() -> dict[str, Any]:
    from kefu.core.models import Parameter

    return dict(Parameter.objects.values_list("key", "value"))


def forget_cached() -> None:
    """Drop this process's copy (called after a change)."""
    _cache.clear()
