"""Key-account pages (thin: the services decide): the rules page for administrators — versions, a threshold
change drafted in a form, the what-if preview as a table and an SVG chart, approval by a second
administrator, publication — and the monthly grading."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Max
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.masking import Masker
from kefu.groups.service_plans import behind_plan
from kefu.keyaccounts import chart, managers, services, standards
from kefu.keyaccounts.models import ContactKind, GradingRun, ManagerTask, RuleVersion, VersionStatus, WorkLog
from kefu.keyaccounts.rules import TIERS, tier_label
from kefu.warehouse import get_warehouse
from kefu.warehouse.store import month_key, parse_month

VIEW = "keyaccounts.view_ruleversion"


def _months() -> list[str]:
    try:
        return [month_key(m) for m in reversed(get_warehouse().months("bills"))]
    except Exception:  # noqa: BLE001 - an unreadable warehouse shows as empty; the jobs report why
        return []


def _month(value: str):
    try:
        return parse_month(value) if value else None
    except ValueError:
        raise DomainError(ErrorCode.INVALID, _("A month is written YYYY-MM, e.g. 2026-10."), field="month") from None


@login_required
@permission_required(VIEW, raise_exception=True)
def rules_page(request):
    """Every version (the history), a form to draft a threshold change, and the monthly grading."""
    ruleset = services.get_ruleset()
    versions = RuleVersion.objects.filter(ruleset=ruleset).select_related("drafted_by", "approved_by", "published_by")
    published = next((v for v in versions if v.status == VersionStatus.PUBLISHED), None)
    thresholds = published.rules["tiers"] if published else {}
    error, status = None, 200
    if request.method == "POST":
        rules = copy.deepcopy(published.rules if published else services.parameter_defaults())
        try:
            for tier in TIERS:
                raw = request.POST.get(tier, "").strip()
                try:
                    rules["tiers"][tier] = float(Decimal(raw))
                except InvalidOperation:
                    raise DomainError(
                        ErrorCode.INVALID, _("Enter an amount in yuan."), field=f"rules.tiers.{tier}"
                    ) from None
            version = services.draft_version(request.user, rules, request.POST.get("note", "")[:300])
        except DomainError as exc:
            error, status = exc, exc.status
            thresholds = {tier: request.POST.get(tier, "") for tier in TIERS}
        else:
            messages.success(request, _("Version %(number)d drafted.") % {"number": version.number})
            return redirect("keyaccounts:version", version.pk)
    context = {
        "versions": versions,
        "published": published,
        "tiers": [{"code": t, "label": tier_label(t), "value": thresholds.get(t, "")} for t in TIERS],
        "error": error,
        "months": _months(),
        "runs": GradingRun.objects.select_related("rule_version", "started_by")[:12],
        "can_draft": request.user.has_perm("keyaccounts.change_ruleversion"),
        "can_grade": request.user.has_perm("keyaccounts.run_grading"),
    }
    return render(request, "keyaccounts/rules.html", context, status=status)


def _version_or_404(version_id: int) -> RuleVersion:
    try:
        return services.get_version(version_id)
    except DomainError:
        raise Http404 from None


def _render_version(request, version: RuleVersion, preview: dict | None = None, error=None, status: int = 200):
    summary = preview or version.preview
    svg = None
    if summary:
        svg = mark_safe(  # noqa: S308 - tier_bars escapes every text it draws
            chart.tier_bars(summary["tiers"], summary["before"], summary["after"], (_("Now"), _("With this version")))
        )
        labels = {t["code"]: t["label"] for t in summary["tiers"]}
        summary = {
            **summary,
            "rows": [
                {
                    "code": t["code"],
                    "label": t["label"],
                    "before": summary["before"].get(t["code"], 0),
                    "after": summary["after"].get(t["code"], 0),
                }
                for t in summary["tiers"]
            ],
            "moves": [
                {**m, "from_label": labels[m["from"]], "to_label": labels[m["to"]]}
                for m in summary["matrix"]
                if m["from"] != m["to"]
            ],
            "sample": [
                {**row, "from": labels[row["from"]], "to": labels[row["to"]]} for row in summary.get("sample", [])
            ],
        }
    user = request.user
    context = {
        "version": version,
        "tiers": [{"code": t, "label": tier_label(t), "value": version.rules["tiers"][t]} for t in TIERS],
        "preview": summary,
        "svg": svg,
        "error": error,
        "months": _months(),
        "can_preview": user.has_perm("keyaccounts.change_ruleversion")
        and version.status in (VersionStatus.DRAFT, VersionStatus.PREVIEWED),
        "can_approve": user.has_perm("keyaccounts.approve_ruleversion")
        and version.status == VersionStatus.PREVIEWED
        and version.drafted_by_id != user.pk,
        "can_publish": user.has_perm("keyaccounts.approve_ruleversion") and version.status == VersionStatus.APPROVED,
    }
    return render(request, "keyaccounts/version.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def version_page(request, version_id: int):
    return _render_version(request, _version_or_404(version_id))


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def version_action(request, version_id: int, action: str):
    version = _version_or_404(version_id)
    try:
        if action == "preview":
            preview = services.preview_version(request.user, version, _month(request.POST.get("month", "")))
            return _render_version(request, services.get_version(version.pk), preview=preview)
        if action == "approve":
            services.approve_version(request.user, version)
            messages.success(request, _("Version %(number)d approved.") % {"number": version.number})
        elif action == "publish":
            services.publish_version(request.user, version)
            messages.success(request, _("Version %(number)d published.") % {"number": version.number})
        else:
            raise Http404
    except DomainError as exc:
        return _render_version(request, services.get_version(version.pk), error=exc, status=exc.status)
    return redirect("keyaccounts:version", version.pk)


@login_required
@permission_required("keyaccounts.run_grading", raise_exception=True)
@require_POST
def grade(request):
    try:
        month = _month(request.POST.get("month", "")) or services.latest_month()
        run = services.grade_month(request.user, month)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(month)s graded: %(changes)d tier changes, %(credit)d credit changes.")
            % {"month": month_key(run.month), "changes": run.tier_changes, "credit": run.credit_changes},
        )
    return redirect("keyaccounts:rules")


# --- customer managers and service standards ----------------------------------------------------------------


def _last_month():
    today = timezone.localdate()
    return dt.date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)


@login_required
@permission_required("keyaccounts.add_worklog", raise_exception=True)
def manager_home(request):
    """The customer manager's home: portfolio, today's reminders, tasks, the last month's score; log a
    contact and report a task's progress."""
    user = request.user
    error, status = None, 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "log":
                subscriber = managers.portfolio(user).filter(pk=request.POST.get("subscriber") or 0).first()
                if subscriber is None:
                    raise DomainError(ErrorCode.INVALID, _("Choose a customer of your portfolio."), field="subscriber")
                managers.log_contact(user, subscriber, request.POST.get("kind", ""), request.POST.get("summary", ""))
                messages.success(request, _("Contact logged."))
            elif request.POST.get("action") == "progress":
                task = ManagerTask.objects.filter(pk=request.POST.get("task") or 0, manager=user).first()
                if task is None:
                    raise Http404
                try:
                    progress = int(request.POST.get("progress", ""))
                except ValueError:
                    raise DomainError(
                        ErrorCode.INVALID, _("Progress is a percentage, 0 to 100."), field="progress"
                    ) from None
                managers.report_progress(user, task, progress, request.POST.get("note", ""))
                messages.success(request, _("Progress saved."))
            else:
                raise Http404
        except DomainError as exc:
            error, status = exc, exc.status
        else:
            return redirect("keyaccounts:manager")
    masker = Masker(user)
    last_contact = dict(
        WorkLog.objects.filter(manager=user)
        .values("subscriber_id")
        .annotate(last=Max("at"))
        .values_list("subscriber_id", "last")
    )
    rows = []
    for s in managers.portfolio(user).restrict(user).order_by("-vip_tier", "name")[:200]:
        rows.append(
            {
                "id": s.pk,
                "name": s.name,
                "msisdn": masker.msisdn(s.msisdn),
                "tier": s.get_vip_tier_display(),
                "last_contact": last_contact.get(s.pk),
            }
        )
    context = {
        "portfolio": rows,
        "portfolio_total": managers.portfolio(user).count(),
        "reminders": managers.todays_reminders(user),
        "tasks": ManagerTask.objects.filter(manager=user).exclude(status="evaluated").order_by("deadline")[:50],
        "score": managers.score(user, _last_month()),
        "kinds": ContactKind.choices,
        "error": error,
        "today": timezone.localdate(),
        "group_behind_plan": behind_plan(user),
    }
    return render(request, "keyaccounts/manager.html", context, status=status)


@login_required
@permission_required("keyaccounts.view_worklog", raise_exception=True)
def standards_page(request):
    try:
        report = standards.measure(request.user, request.GET.get("quarter") or None)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("keyaccounts:standards")
    return render(request, "keyaccounts/standards.html", {"report": report})
