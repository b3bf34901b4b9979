"""The monthly grading job (KA-2), written once with Ibis: the same expression runs on DuckDB (the default
warehouse) and on PySpark, and gives the same result on both.

Inputs are two warehouse tables:

- `bills`: subscriber_id, month (date, first of the month), total_fen, paid_fen;
- `subscribers`: subscriber_id, region_id, city_id, join_date, contracted, credit_level, vip_tier, store.

Everything is integer arithmetic on fen (an average is compared as `sum ≥ threshold × months`), so no
floating-point rounding can make two backends disagree. No Django import here: the benchmark and the Spark
test use this module alone.
"""

from __future__ import annotations

import datetime as dt

import ibis
from ibis import _

from kefu.keyaccounts.rules import ORDINARY, TIER_RANK, EngineParams

RESULT_COLUMNS = (
    "subscriber_id",
    "region_id",
    "city_id",
    "old_tier",
    "old_credit",
    "tier",
    "credit",
    "spend_fen",
    "months",
    "late_months",
    "tenure_years",
    "contracted",
    "potential",
)


def month_start(month: dt.date, back: int) -> dt.date:
    """The first day of the month `back` months before `month`."""
    index = month.year * 12 + (month.month - 1) - back
    return dt.date(index // 12, index % 12 + 1, 1)


def grade(bills: ibis.Table, subscribers: ibis.Table, month: dt.date, p: EngineParams) -> ibis.Table:
    """One row per on-net subscriber: the tier and credit level the rules give for `month`, with the figures
    behind them (spend, months billed, late months, tenure) and the potential-VIP flag."""
    month = month.replace(day=1)
    start = month_start(month, p.window_months - 1)
    recent_start = month_start(month, p.recent_months - 1)
    window = bills.filter((bills.month >= start) & (bills.month <= month))
    recent = window.month >= recent_start
    spend = window.group_by("subscriber_id").aggregate(
        spend_fen=window.total_fen.cast("int64").sum(),
        months=window.count().cast("int64"),
        # The graded month's own bill is not due yet: only earlier unpaid bills count as late.
        late_months=((window.paid_fen < window.total_fen) & (window.month < month)).ifelse(1, 0).sum().cast("int64"),
        recent_fen=recent.ifelse(window.total_fen.cast("int64"), 0).sum().cast("int64"),
        recent_months=recent.ifelse(1, 0).sum().cast("int64"),
    )
    base = subscribers.filter(subscribers.store == "on_net").select(
        "subscriber_id",
        "region_id",
        "city_id",
        "join_date",
        "contracted",
        old_tier=subscribers.vip_tier,
        old_credit=subscribers.credit_level.cast("int64"),
    )
    joined = base.left_join(spend, base.subscriber_id == spend.subscriber_id).select(
        base,
        spend_fen=spend.spend_fen.fill_null(0),
        months=spend.months.fill_null(0),
        late_months=spend.late_months.fill_null(0),
        recent_fen=spend.recent_fen.fill_null(0),
        recent_months=spend.recent_months.fill_null(0),
    )
    month_index = month.year * 12 + month.month
    tenure_months = month_index - (joined.join_date.year().cast("int64") * 12 + joined.join_date.month().cast("int64"))
    with_tenure = joined.mutate(tenure_years=(tenure_months // 12).cast("int64"))

    def avg_at_least(fen: int):
        return (_.months > 0) & (_.spend_fen >= _.months * fen)

    credit_cases = [
        (
            (_.tenure_years >= rule.min_tenure_years)
            & (_.late_months <= rule.max_late_months)
            & (avg_at_least(rule.min_avg_fen) if rule.min_avg_fen > 0 else ibis.literal(True)),
            rule.level,
        )
        for rule in p.credit_rules
    ]
    credit = ibis.cases(*credit_cases, else_=p.credit_default) if credit_cases else ibis.literal(p.credit_default)
    rated = with_tenure.mutate(credit=credit.cast("int64"))

    qualifies = (
        (rated.months >= p.min_months)
        & (rated.credit >= p.good_credit_level)
        & (rated.contracted if p.require_contract else ibis.literal(True))
        & (rated.spend_fen >= rated.months * p.qualify_fen)
    )
    tier = ibis.cases(
        *[(qualifies & (rated.spend_fen >= rated.months * fen), code) for code, fen in p.tiers], else_=ORDINARY
    )
    graded = rated.mutate(tier=tier, qualifies=qualifies)

    older_months = graded.months - graded.recent_months
    older_fen = graded.spend_fen - graded.recent_fen
    near = (graded.months > 0) & (graded.spend_fen * 100 >= graded.months * (p.potential_within_pct * p.lowest_fen))
    rising = (
        (graded.recent_months >= p.recent_months)
        & (older_months > 0)
        & (graded.recent_fen > 0)
        & (graded.recent_fen * older_months * 100 >= older_fen * graded.recent_months * (100 + p.potential_rising_pct))
    )
    potential = (graded.tier == ORDINARY) & (near | rising)
    return graded.mutate(potential=potential).select(*RESULT_COLUMNS)


def movement_matrix(result: ibis.Table) -> ibis.Table:
    """How many customers go from each current tier to each new tier, per city."""
    return result.group_by(["city_id", "old_tier", "tier"]).aggregate(
        customers=result.count(), potential=result.potential.ifelse(1, 0).sum()
    )


def moved_sample(result: ibis.Table, region_ids: list[int] | None, per_move: int) -> ibis.Table:
    """Up to `per_move` customers (lowest ids first) for every (old tier → new tier) move, in the given regions."""
    moved = result.filter(result.old_tier != result.tier)
    if region_ids is not None:
        moved = moved.filter(moved.region_id.isin(region_ids or [-1]))
    ranked = moved.mutate(
        rank=ibis.row_number().over(group_by=[moved.old_tier, moved.tier], order_by=moved.subscriber_id)
    )
    return ranked.filter(ranked.rank < per_move).drop("rank").order_by(["old_tier", "tier", "subscriber_id"])


def explain(row: dict, p: EngineParams) -> dict:
    """Why one result row's tier or credit level is what it is, as data: the figures and a list of reasons
    (`reasons.render` turns it into text in the reader's language)."""
    months = int(row["months"])
    spend = int(row["spend_fen"])
    credit, old_credit = int(row["credit"]), int(row["old_credit"])
    data: dict = {
        "avg_spend_fen": (spend + months // 2) // months if months else 0,
        "months": months,
        "late_months": int(row["late_months"]),
        "tenure_years": int(row["tenure_years"]),
        "why": [],
    }
    tier = row["tier"]
    if tier != row["old_tier"]:
        if tier != ORDINARY:
            data["why"].append({"code": "tier_spend", "tier": tier, "threshold_fen": p.threshold(tier)})
        elif months < p.min_months:
            data["why"].append({"code": "too_few_months", "required": p.min_months})
        elif credit < p.good_credit_level:
            data["why"].append({"code": "credit_too_low", "credit": credit, "required": p.good_credit_level})
        elif p.require_contract and not row["contracted"]:
            data["why"].append({"code": "not_contracted"})
        else:
            data["why"].append({"code": "spend_below_qualification", "threshold_fen": p.qualify_fen})
    if credit != old_credit:
        data["why"].append({"code": "credit_rule", "old": old_credit, "new": credit})
    return data


def is_upgrade(old: str, new: str) -> bool:
    return TIER_RANK[new] > TIER_RANK[old]
