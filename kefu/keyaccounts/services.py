"""Key-account operations: rule versions and their lifecycle (KA-1), the what-if preview and the monthly
grading (KA-2), warehouse loads. Points are in `points.py`.

Lifecycle of a rule version: draft → previewed → approved (by a second person, never the drafter) →
published (the previous published version is retired). Editing a previewed version returns it to draft.
Exactly one version of a rule set is published at a time (a partial unique index holds it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.masking import Masker
from kefu.core.models import AuditEvent, Notification, Region
from kefu.core.scope import scope_region_ids
from kefu.core.services import record_change, require
from kefu.customers.models import ProfileStore, Subscriber
from kefu.keyaccounts import engine, reasons
from kefu.keyaccounts.models import GradingRun, RuleSet, RuleVersion, TierChange, VersionStatus
from kefu.keyaccounts.rules import ALL_TIERS, TIER_RANK, EngineParams, Rules, default_rules, parse_rules, tier_label
from kefu.warehouse import get_warehouse
from kefu.warehouse.store import month_key

PERSONAL = "personal"


def audit(actor, action: str, object_type: str, object_id: str, changes: dict, region_id=None) -> None:
    """An audit event for something that is not a model row (a warehouse partition)."""
    AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id[:40],
        object_repr=f"{object_type} {object_id}"[:200],
        changes=changes,
        region_id=region_id,
    )


# --- rule versions ----------------------------------------------------------------------------------------


def get_ruleset(code: str = PERSONAL) -> RuleSet:
    ruleset = RuleSet.objects.filter(code=code).first()
    if ruleset is None:
        raise NotFound(_("No rule set with this code."))
    return ruleset


def get_version(version_id: int) -> RuleVersion:
    version = RuleVersion.objects.select_related("ruleset", "drafted_by", "approved_by", "published_by").filter(
        pk=version_id
    )
    found = version.first()
    if found is None:
        raise NotFound(_("No rule version with this id."))
    return found


def published_version(code: str = PERSONAL) -> RuleVersion:
    version = RuleVersion.objects.filter(ruleset__code=code, status=VersionStatus.PUBLISHED).first()
    if version is None:
        raise DomainError(ErrorCode.CONFLICT, _("No rule version is published yet."))
    return version


def parameter_defaults() -> dict[str, Any]:
    """A rule version made of the parameters' current values (used when nothing is published)."""
    return default_rules(
        parameters.get("keyaccounts.tier_thresholds_yuan"),
        parameters.get("keyaccounts.vip_min_avg_spend_yuan"),
        parameters.get("customers.good_credit_level"),
    )


def engine_params(version: RuleVersion) -> EngineParams:
    return EngineParams.from_rules(Rules.model_validate(version.rules))


@transaction.atomic
def draft_version(actor, rules: dict | None = None, note: str = "", code: str = PERSONAL) -> RuleVersion:
    """A new draft; without `rules`, a copy of the published version (or of the parameters' defaults)."""
    require(actor, "keyaccounts.change_ruleversion")
    ruleset = RuleSet.objects.select_for_update().filter(code=code).first()
    if ruleset is None:
        raise NotFound(_("No rule set with this code."))
    current = RuleVersion.objects.filter(ruleset=ruleset, status=VersionStatus.PUBLISHED).first()
    if rules is None:
        rules = current.rules if current else parameter_defaults()
    parsed = parse_rules(rules)
    number = (RuleVersion.objects.filter(ruleset=ruleset).aggregate(n=Max("number"))["n"] or 0) + 1
    version = RuleVersion.objects.create(
        ruleset=ruleset,
        number=number,
        rules=parsed.as_json(),
        note=note,
        based_on=current,
        drafted_by=actor,
    )
    record_change(actor, version, "draft", {"rules": version.rules, "note": note}, region_id=None)
    return version


def _locked(version: RuleVersion) -> RuleVersion:
    return RuleVersion.objects.select_for_update().select_related("ruleset").get(pk=version.pk)


@transaction.atomic
def update_draft(actor, version: RuleVersion, rules: dict | None, note: str | None = None) -> RuleVersion:
    """Change a draft (or a previewed version, which goes back to draft: its preview no longer holds)."""
    require(actor, "keyaccounts.change_ruleversion")
    version = _locked(version)
    if version.status not in (VersionStatus.DRAFT, VersionStatus.PREVIEWED):
        raise DomainError(
            ErrorCode.CONFLICT,
            _("Only a draft can be changed; this version is %(status)s.") % {"status": version.get_status_display()},
            field="status",
        )
    old = {"rules": version.rules, "note": version.note, "status": version.status}
    if rules is not None:
        version.rules = parse_rules(rules).as_json()
    if note is not None:
        version.note = note
    version.status = VersionStatus.DRAFT
    version.previewed_at = version.preview_month = version.preview = None
    version.save()
    record_change(
        actor, version, "update", {"old": old, "new": {"rules": version.rules, "note": version.note}}, region_id=None
    )
    return version


def latest_month() -> dt.date:
    months = get_warehouse().months("bills")
    if not months:
        raise DomainError(ErrorCode.CONFLICT, _("The warehouse holds no bills yet: load it first."))
    return months[-1]


def _job_tables(month: dt.date, p: EngineParams):
    warehouse = get_warehouse()
    if month not in warehouse.months("bills"):
        raise DomainError(
            ErrorCode.CONFLICT,
            _("The warehouse holds no bills for %(month)s: load that month first.") % {"month": month_key(month)},
            field="month",
        )
    if not warehouse.has_snapshot():
        raise DomainError(ErrorCode.CONFLICT, _("The warehouse holds no subscribers yet: load it first."))
    window = [engine.month_start(month, back) for back in range(p.window_months)]
    con = warehouse.duckdb()
    return con, warehouse.table(con, "bills", window), warehouse.table(con, "subscribers")


def compute_preview(user, rules: Rules, month: dt.date) -> dict[str, Any]:
    """How many customers move from each current tier to each new tier under `rules`, overall and by city,
    over the whole base; and a sample of movers in the caller's scope (masked)."""
    p = EngineParams.from_rules(rules)
    con, bills, subscribers = _job_tables(month, p)
    result = engine.grade(bills, subscribers, month, p)
    rows = engine.movement_matrix(result).to_pyarrow().to_pylist()
    cities = {r.id: r for r in Region.objects.filter(id__in={row["city_id"] for row in rows if row["city_id"]})}
    overall: dict[tuple[str, str], int] = defaultdict(int)
    by_city: dict[int | None, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    potential = 0
    for row in rows:
        overall[(row["old_tier"], row["tier"])] += row["customers"]
        by_city[row["city_id"]][(row["old_tier"], row["tier"])] += row["customers"]
        potential += row["potential"] or 0

    def summarise(counts: dict[tuple[str, str], int]) -> dict[str, Any]:
        before = {tier: 0 for tier in ALL_TIERS}
        after = {tier: 0 for tier in ALL_TIERS}
        up = down = 0
        for (old, new), n in counts.items():
            before[old] = before.get(old, 0) + n
            after[new] = after.get(new, 0) + n
            if TIER_RANK.get(new, 0) > TIER_RANK.get(old, 0):
                up += n
            elif TIER_RANK.get(new, 0) < TIER_RANK.get(old, 0):
                down += n
        return {
            "customers": sum(counts.values()),
            "before": before,
            "after": after,
            "moved": up + down,
            "upgraded": up,
            "downgraded": down,
            "matrix": [
                {"from": old, "to": new, "customers": counts.get((old, new), 0)}
                for old in ALL_TIERS
                for new in ALL_TIERS
                if counts.get((old, new), 0)
            ],
        }

    city_rows = []
    for city_id, counts in by_city.items():
        city = cities.get(city_id)
        city_rows.append(
            {
                "city": city.code if city else None,
                "city_name": city.display_name if city else _("No city"),
                **summarise(counts),
            }
        )
    city_rows.sort(key=lambda row: (-row["customers"], row["city"] or ""))
    summary = {
        "month": month_key(month),
        "tiers": [{"code": code, "label": tier_label(code)} for code in ALL_TIERS],
        **summarise(overall),
        "potential": potential,
        "by_city": city_rows,
    }
    summary["sample"] = _sample(user, result, month)
    return summary


def _sample(user, result, month) -> list[dict]:
    scope = scope_region_ids(user) if user is not None else None
    per_move = parameters.get("keyaccounts.preview_sample_per_move")
    rows = engine.moved_sample(result, sorted(scope) if scope is not None else None, per_move).to_pyarrow().to_pylist()
    qs = Subscriber.objects.select_related("region__parent").filter(id__in=[row["subscriber_id"] for row in rows])
    if user is not None:
        qs = qs.restrict(user)
    subscribers = {s.id: s for s in qs}
    masker = Masker(user)
    sample = []
    for row in rows:
        s = subscribers.get(row["subscriber_id"])
        if s is None:
            continue
        city = s.region if s.region.level != "county" else s.region.parent
        months = row["months"]
        sample.append(
            {
                "id": s.id,
                "msisdn": masker.msisdn(s.msisdn),
                "name": s.name,
                "city": city.code if city else None,
                "city_name": city.display_name if city else None,
                "from": row["old_tier"],
                "to": row["tier"],
                "avg_spend_fen": (row["spend_fen"] + months // 2) // months if months else 0,
                "months": months,
                "credit": row["credit"],
            }
        )
    return sample


def preview_version(actor, version: RuleVersion, month: dt.date | None = None) -> dict[str, Any]:
    """Compute the what-if preview of a draft (or re-preview a previewed version) and mark it previewed."""
    require(actor, "keyaccounts.change_ruleversion")
    if version.status not in (VersionStatus.DRAFT, VersionStatus.PREVIEWED):
        raise DomainError(
            ErrorCode.CONFLICT,
            _("Only a draft can be previewed; this version is %(status)s.") % {"status": version.get_status_display()},
            field="status",
        )
    month = (month or latest_month()).replace(day=1)
    preview = compute_preview(actor, Rules.model_validate(version.rules), month)
    with transaction.atomic():
        locked = _locked(version)
        if locked.status not in (VersionStatus.DRAFT, VersionStatus.PREVIEWED) or locked.rules != version.rules:
            raise DomainError(ErrorCode.CONFLICT, _("The version changed while it was previewed; try again."))
        locked.status = VersionStatus.PREVIEWED
        locked.previewed_at = timezone.now()
        locked.preview_month = month
        locked.preview = {key: value for key, value in preview.items() if key != "sample"}
        locked.save()
        record_change(
            actor,
            locked,
            "preview",
            {"month": month_key(month), "moved": preview["moved"], "customers": preview["customers"]},
            region_id=None,
        )
    version.refresh_from_db()
    return preview


@transaction.atomic
def approve_version(actor, version: RuleVersion) -> RuleVersion:
    """A second person approves a previewed version (never its drafter)."""
    require(actor, "keyaccounts.approve_ruleversion")
    version = _locked(version)
    if version.status != VersionStatus.PREVIEWED:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("Only a previewed version can be approved; this version is %(status)s.")
            % {"status": version.get_status_display()},
            field="status",
        )
    if actor is not None and version.drafted_by_id == actor.pk:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            _("A version is approved by a second person: you drafted this one."),
            field="approved_by",
        )
    version.status = VersionStatus.APPROVED
    version.approved_by = actor
    version.approved_at = timezone.now()
    version.save()
    record_change(actor, version, "approve", {}, region_id=None)
    return version


@transaction.atomic
def publish_version(actor, version: RuleVersion) -> RuleVersion:
    """Publish an approved version; the version published so far is retired (kept in the history)."""
    require(actor, "keyaccounts.approve_ruleversion")
    RuleSet.objects.select_for_update().filter(pk=version.ruleset_id).first()
    version = _locked(version)
    if version.status != VersionStatus.APPROVED:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("Only an approved version can be published; this version is %(status)s.")
            % {"status": version.get_status_display()},
            field="status",
        )
    now = timezone.now()
    retired = list(
        RuleVersion.objects.filter(ruleset_id=version.ruleset_id, status=VersionStatus.PUBLISHED).values_list(
            "number", flat=True
        )
    )
    RuleVersion.objects.filter(ruleset_id=version.ruleset_id, status=VersionStatus.PUBLISHED).update(
        status=VersionStatus.RETIRED, retired_at=now
    )
    version.status = VersionStatus.PUBLISHED
    version.published_by = actor
    version.published_at = now
    version.save()
    record_change(actor, version, "publish", {"retired": retired}, region_id=None)
    return version


# --- warehouse --------------------------------------------------------------------------------------------


def load_warehouse(actor, months: list[dt.date] | None = None) -> dict:
    """Copy bills, usage and subscribers from the operational database into the warehouse."""
    from kefu.warehouse.loaders import load_from_database

    require(actor, "keyaccounts.load_warehouse")
    loaded = load_from_database(months)
    audit(actor, "load", "warehouse.database", ",".join(sorted(loaded["bills"]))[:40] or "-", loaded)
    return loaded


def load_boss_file(actor, kind: str, data: bytes, month: dt.date | None = None, name: str = "") -> dict:
    """Check and load one BOSS interface file (refused whole, with its bad rows, if any row is bad)."""
    from kefu.warehouse import loaders

    require(actor, "keyaccounts.load_warehouse")
    loaded = loaders.load_boss_file(kind, data, month, name=name)
    audit(actor, "load", f"warehouse.{kind}", loaded["month"], {"rows": loaded["rows"], "file": name})
    return loaded


# --- grading ----------------------------------------------------------------------------------------------

_TEMP = "ka_grade"
_TEMP_COLUMNS = ("id", "tier", "credit", "spend_fen", "months", "late_months", "tenure_years", "contracted")


def _fill_temp_table(cursor, rows) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{_TEMP}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_TEMP} (id bigint PRIMARY KEY, tier varchar(12), credit smallint, "
            "spend_fen bigint, months integer, late_months integer, tenure_years integer, contracted boolean) "
            "ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY {_TEMP} ({', '.join(_TEMP_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{_TEMP}")
        cursor.execute(
            f"CREATE TEMP TABLE {_TEMP} (id integer PRIMARY KEY, tier text, credit integer, spend_fen integer, "
            "months integer, late_months integer, tenure_years integer, contracted integer)"
        )
        cursor.executemany(f"INSERT INTO {_TEMP} VALUES ({', '.join(['%s'] * len(_TEMP_COLUMNS))})", rows)


def grade_month(actor, month: dt.date) -> GradingRun:
    """Apply the published rules to every on-net subscriber for `month`: tier and credit changes are written
    back in bulk, each recorded with its reason, and the customer manager is notified. Re-running a month
    changes nothing."""
    from kefu.warehouse.loaders import load_subscribers

    require(actor, "keyaccounts.run_grading")
    month = month.replace(day=1)
    version = published_version()
    last = GradingRun.objects.filter(finished_at__isnull=False).order_by("-month").first()
    if last is not None and month < last.month:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("%(month)s is before the last graded month %(last)s: grading it would undo later changes.")
            % {"month": month_key(month), "last": month_key(last.month)},
            field="month",
        )
    p = engine_params(version)
    _job_tables(month, p)  # refuse early when the month is not loaded
    load_subscribers()  # the current tiers, credit levels and contracts, as the operational database holds them
    con, bills, subscribers = _job_tables(month, p)
    result = engine.grade(bills, subscribers, month, p).to_pyarrow()
    columns = {name: result.column(name).to_pylist() for name in result.column_names}
    rows = zip(
        columns["subscriber_id"],
        columns["tier"],
        columns["credit"],
        columns["spend_fen"],
        columns["months"],
        columns["late_months"],
        columns["tenure_years"],
        columns["contracted"],
        strict=True,
    )
    with transaction.atomic():
        # One grading at a time: the rule set's row is the lock.
        RuleSet.objects.select_for_update().filter(pk=version.ruleset_id).first()
        run = GradingRun.objects.create(month=month, rule_version=version, started_by=actor)
        with connection.cursor() as cursor:
            _fill_temp_table(cursor, rows)
            cursor.execute(
                f"SELECT s.id, s.vip_tier, s.credit_level, g.tier, g.credit, g.spend_fen, g.months, g.late_months, "
                f"g.tenure_years, g.contracted, s.customer_manager_id, s.name, s.msisdn "
                f"FROM customers_subscriber s JOIN {_TEMP} g ON g.id = s.id "
                f"WHERE s.store = %s AND (s.vip_tier <> g.tier OR s.credit_level <> g.credit) ORDER BY s.id",
                [ProfileStore.ON_NET],
            )
            changed = cursor.fetchall()
            changes, notices, moves = _record_changes(run, version, p, changed)
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(
                f"UPDATE customers_subscriber SET vip_tier = g.tier, credit_level = g.credit, updated_at = %s "
                f"FROM {_TEMP} g WHERE g.id = customers_subscriber.id AND customers_subscriber.store = %s "
                f"AND (customers_subscriber.vip_tier <> g.tier OR customers_subscriber.credit_level <> g.credit)",
                [now, ProfileStore.ON_NET],
            )
            cursor.execute(f"DROP TABLE {_TEMP}")
        TierChange.objects.bulk_create(changes, batch_size=2000)
        Notification.objects.bulk_create(notices, batch_size=2000)
        run.subscribers = result.num_rows
        run.tier_changes = sum(1 for c in changes if c.old_tier != c.new_tier)
        run.credit_changes = sum(1 for c in changes if c.old_credit != c.new_credit)
        run.potential = sum(1 for flag in columns["potential"] if flag)
        run.summary = {"moves": [{"from": a, "to": b, "customers": n} for (a, b), n in sorted(moves.items())]}
        run.finished_at = timezone.now()
        run.save()
        record_change(
            actor,
            run,
            "grade",
            {
                "month": month_key(month),
                "rule_version": version.number,
                "subscribers": run.subscribers,
                "tier_changes": run.tier_changes,
                "credit_changes": run.credit_changes,
            },
            region_id=None,
        )
    if changes:
        # The warehouse snapshot follows the operational database (the next preview compares with these tiers).
        load_subscribers()
    return run


def _record_changes(run: GradingRun, version: RuleVersion, p: EngineParams, changed) -> tuple[list, list, dict]:
    changes: list[TierChange] = []
    notices: list[Notification] = []
    moves: dict[tuple[str, str], int] = defaultdict(int)
    with translation.override(settings.LANGUAGE_CODE):
        for (
            sid,
            old_tier,
            old_credit,
            tier,
            credit,
            spend,
            months,
            late,
            tenure,
            contracted,
            manager,
            name,
            msisdn,
        ) in changed:
            row = {
                "old_tier": old_tier,
                "tier": tier,
                "old_credit": old_credit,
                "credit": credit,
                "spend_fen": spend,
                "months": months,
                "late_months": late,
                "tenure_years": tenure,
                "contracted": bool(contracted),
            }
            data = engine.explain(row, p)
            changes.append(
                TierChange(
                    subscriber_id=sid,
                    month=run.month,
                    run=run,
                    rule_version=version,
                    old_tier=old_tier,
                    new_tier=tier,
                    old_credit=old_credit,
                    new_credit=credit,
                    reason=reasons.render_english(data)[:300],
                    reason_data=data,
                )
            )
            if old_tier != tier:
                moves[(old_tier, tier)] += 1
            if manager is not None:
                if old_tier != tier:
                    text = _("%(name)s %(msisdn)s: %(old)s → %(new)s (%(reason)s)") % {
                        "name": name,
                        "msisdn": Masker(None).msisdn(msisdn),
                        "old": tier_label(old_tier),
                        "new": tier_label(tier),
                        "reason": reasons.render(data),
                    }
                else:
                    text = _("%(name)s %(msisdn)s: credit level %(old)d → %(new)d") % {
                        "name": name,
                        "msisdn": Masker(None).msisdn(msisdn),
                        "old": old_credit,
                        "new": credit,
                    }
                notices.append(
                    Notification(
                        recipient_id=manager,
                        kind="tier_change",
                        text=text[:300],
                        link=reverse("customers:360", args=[sid]),
                    )
                )
    return changes, notices, dict(moves)
