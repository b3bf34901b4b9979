"""Key-account service rules as versioned data (KA-1): the JSON schema of a rule version and its checks.

A rule version is a JSON document: VIP qualification, tier thresholds, potential-VIP qualification, the
credit rating rule, the points rule and the discounts per tier. `parse_rules` validates it with pydantic
and then checks that every tier can be reached; a refusal is a `DomainError` naming the field at fault.
`EngineParams` is the same rules in integer fen, ready for the grading engine (`engine.py`).

Pure Python: no database access; the defaults come from the parameters passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, ValidationError

from kefu.core.errors import DomainError, ErrorCode

# VIP tiers from the highest down; a subscriber who qualifies for none is ordinary.
TIERS = ("diamond", "gold", "silver", "high_value")
ORDINARY = "ordinary"
ALL_TIERS = (*TIERS, ORDINARY)
TIER_RANK = {code: len(ALL_TIERS) - i for i, code in enumerate(ALL_TIERS)}  # diamond 5 … ordinary 1


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# Yuan with at most two decimals (fen); written back to JSON as a plain number.
Yuan = Annotated[
    Decimal,
    Field(ge=0, le=1_000_000, max_digits=9, decimal_places=2),
    PlainSerializer(_number, return_type=float),
]
Rate = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=6, decimal_places=3),
    PlainSerializer(_number, return_type=float),
]
Percent = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2),
    PlainSerializer(_number, return_type=float),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Qualification(_Strict):
    """Who is a VIP at all (界定): average monthly spend over the window, good credit, contracted."""

    min_avg_spend_yuan: Yuan = Field(description="Lowest average monthly spend (yuan) over the window")
    window_months: int = Field(12, ge=1, le=36, description="Months of bills averaged, ending with the graded month")
    min_months: int = Field(3, ge=1, le=36, description="Fewest months with a bill in the window to be graded a VIP")
    good_credit_level: int = Field(ge=1, le=5, description="Lowest credit level counted as good credit")
    require_contract: bool = Field(True, description="Only contracted (签约) customers qualify")


class Tiers(_Strict):
    """Lowest average monthly spend (yuan) of each tier; strictly decreasing from diamond to high value."""

    diamond: Yuan
    gold: Yuan
    silver: Yuan
    high_value: Yuan


class Potential(_Strict):
    """Potential VIPs: not a VIP yet, but spending close to the lowest tier or rising."""

    within_pct: int = Field(80, ge=1, le=99, description="Average spend at least this % of the lowest tier threshold")
    rising_pct: int = Field(20, ge=1, le=1000, description="Recent average spend this % above the earlier months")
    recent_months: int = Field(3, ge=1, le=35, description="Months counted as recent for the rising test")


class CreditRule(_Strict):
    level: int = Field(ge=1, le=5)
    min_tenure_years: int = Field(0, ge=0, le=80, description="Whole years on the network")
    max_late_months: int = Field(36, ge=0, le=36, description="Most months with an unpaid bill in the window")
    min_avg_spend_yuan: Yuan = Field(Decimal(0), description="Lowest average monthly spend (yuan)")


class Credit(_Strict):
    """Credit rating (信誉度): the first rule met, from the top, gives the level; else the default level."""

    rules: list[CreditRule] = Field(max_length=5)
    default_level: int = Field(1, ge=1, le=5)


class PerTierRate(_Strict):
    diamond: Rate
    gold: Rate
    silver: Rate
    high_value: Rate
    ordinary: Rate


class PointsRule(_Strict):
    rate_per_yuan: PerTierRate = Field(description="Points accrued per yuan of the monthly bill, by tier")
    tenure_bonus_per_year: int = Field(ge=0, le=100_000, description="Points per whole year on the network")
    tenure_bonus_max_years: int = Field(10, ge=0, le=80, description="Years counted at most for the tenure bonus")


class Discounts(_Strict):
    """Discount in percent granted to each tier (used by offers and business halls)."""

    diamond: Percent
    gold: Percent
    silver: Percent
    high_value: Percent
    ordinary: Percent = Decimal(0)


class Rules(_Strict):
    schema_version: Literal[1] = 1
    qualification: Qualification
    tiers: Tiers
    potential: Potential = Potential()
    credit: Credit
    points: PointsRule
    discounts: Discounts

    def threshold_fen(self, tier: str) -> int:
        return to_fen(getattr(self.tiers, tier))

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def to_fen(yuan: Decimal) -> int:
    return int((Decimal(yuan) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals: 52340 → '523.40'."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def tier_label(code: str) -> str:
    from kefu.customers.models import VipTier

    return str(VipTier(code).label)


def default_rules(
    thresholds_yuan: dict[str, Any],
    min_avg_spend_yuan: Any,
    good_credit_level: int,
    points_rates: dict[str, Any] | None = None,
    discounts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The seed's rules as a JSON document (the parameters give the numbers)."""
    return {
        "schema_version": 1,
        "qualification": {
            "min_avg_spend_yuan": min_avg_spend_yuan,
            "window_months": 12,
            "min_months": 3,
            "good_credit_level": good_credit_level,
            "require_contract": True,
        },
        "tiers": {tier: thresholds_yuan[tier] for tier in TIERS},
        "potential": {"within_pct": 80, "rising_pct": 20, "recent_months": 3},
        "credit": {
            "rules": [
                {"level": 5, "min_tenure_years": 5, "max_late_months": 0, "min_avg_spend_yuan": 300},
                {"level": 4, "min_tenure_years": 2, "max_late_months": 1, "min_avg_spend_yuan": 0},
                {"level": 3, "min_tenure_years": 0, "max_late_months": 2, "min_avg_spend_yuan": 0},
                {"level": 2, "min_tenure_years": 0, "max_late_months": 5, "min_avg_spend_yuan": 0},
            ],
            "default_level": 1,
        },
        "points": {
            "rate_per_yuan": points_rates
            or {"diamond": 2, "gold": 1.5, "silver": 1.2, "high_value": 1.1, "ordinary": 1},
            "tenure_bonus_per_year": 100,
            "tenure_bonus_max_years": 10,
        },
        "discounts": discounts or {"diamond": 15, "gold": 10, "silver": 8, "high_value": 5, "ordinary": 0},
    }


def _field(loc) -> str:
    return ".".join(str(part) for part in loc)


def parse_rules(data: Any) -> Rules:
    """Validate a rule version's JSON; refuse it, naming the field, when it does not parse or leaves a tier
    (or every tier) out of reach."""
    if not isinstance(data, dict):
        raise DomainError(ErrorCode.INVALID, _("A rule version is a JSON object."), field="rules")
    try:
        rules = Rules.model_validate(data)
    except ValidationError as exc:
        errors = [{"field": "rules." + _field(err["loc"]), "detail": err["msg"]} for err in exc.errors()]
        first = errors[0]
        raise DomainError(ErrorCode.INVALID, first["detail"], field=first["field"], errors=errors) from None
    check_reachable(rules)
    return rules


def _refuse(field: str, message: str):
    raise DomainError(
        ErrorCode.INVALID, message, field="rules." + field, errors=[{"field": "rules." + field, "detail": message}]
    )


def check_reachable(rules: Rules) -> None:
    """Every tier must be reachable by some average spend of a qualifying customer."""
    q = rules.qualification
    if q.min_months > q.window_months:
        _refuse(
            "qualification.min_months",
            _("%(months)d months with a bill can never be met in a window of %(window)d months.")
            % {"months": q.min_months, "window": q.window_months},
        )
    if rules.potential.recent_months >= q.window_months:
        _refuse(
            "potential.recent_months",
            _("The recent months (%(recent)d) must be fewer than the window (%(window)d months).")
            % {"recent": rules.potential.recent_months, "window": q.window_months},
        )
    levels = [rule.level for rule in rules.credit.rules]
    for i in range(1, len(levels)):
        if levels[i] >= levels[i - 1]:
            _refuse(
                f"credit.rules.{i}.level",
                _("Credit rules go from the highest level down: level %(level)d after level %(previous)d.")
                % {"level": levels[i], "previous": levels[i - 1]},
            )
    best_level = max([*levels, rules.credit.default_level])
    if best_level < q.good_credit_level:
        _refuse(
            "qualification.good_credit_level",
            _("No credit rule gives level %(good)d or above, so no customer could qualify for any tier.")
            % {"good": q.good_credit_level},
        )
    for higher, lower in zip(TIERS, TIERS[1:], strict=False):
        high_fen, low_fen = rules.threshold_fen(higher), rules.threshold_fen(lower)
        if low_fen >= high_fen:
            _refuse(
                f"tiers.{lower}",
                _(
                    "The %(lower)s threshold (%(low)s yuan) must be below the %(higher)s threshold (%(high)s yuan): "
                    "otherwise no spend reaches the %(lower)s."
                )
                % {
                    "lower": tier_label(lower),
                    "higher": tier_label(higher),
                    "low": yuan(low_fen),
                    "high": yuan(high_fen),
                },
            )
        if to_fen(q.min_avg_spend_yuan) >= high_fen:
            _refuse(
                "qualification.min_avg_spend_yuan",
                _(
                    "The qualification minimum (%(min)s yuan) is not below the %(higher)s threshold (%(high)s yuan): "
                    "no qualifying spend reaches the %(lower)s."
                )
                % {
                    "min": yuan(to_fen(q.min_avg_spend_yuan)),
                    "higher": tier_label(higher),
                    "high": yuan(high_fen),
                    "lower": tier_label(lower),
                },
            )


@dataclass(frozen=True)
class CreditParams:
    level: int
    min_tenure_years: int
    max_late_months: int
    min_avg_fen: int


@dataclass(frozen=True)
class EngineParams:
    """The rules the grading engine applies, in integer fen (so that every backend computes the same)."""

    window_months: int
    min_months: int
    qualify_fen: int
    good_credit_level: int
    require_contract: bool
    tiers: tuple[tuple[str, int], ...]  # (tier, threshold fen), highest first
    potential_within_pct: int
    potential_rising_pct: int
    recent_months: int
    credit_rules: tuple[CreditParams, ...]
    credit_default: int

    @classmethod
    def from_rules(cls, rules: Rules) -> EngineParams:
        q = rules.qualification
        return cls(
            window_months=q.window_months,
            min_months=q.min_months,
            qualify_fen=to_fen(q.min_avg_spend_yuan),
            good_credit_level=q.good_credit_level,
            require_contract=q.require_contract,
            tiers=tuple((tier, rules.threshold_fen(tier)) for tier in TIERS),
            potential_within_pct=rules.potential.within_pct,
            potential_rising_pct=rules.potential.rising_pct,
            recent_months=rules.potential.recent_months,
            credit_rules=tuple(
                CreditParams(r.level, r.min_tenure_years, r.max_late_months, to_fen(r.min_avg_spend_yuan))
                for r in rules.credit.rules
            ),
            credit_default=rules.credit.default_level,
        )

    def threshold(self, tier: str) -> int:
        return dict(self.tiers)[tier]

    @property
    def lowest_fen(self) -> int:
        return self.tiers[-1][1]


def rules_json_schema() -> dict[str, Any]:
    """The JSON schema of a rule version, for editors and API clients."""
    return Rules.model_json_schema(mode="validation")
