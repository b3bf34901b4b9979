"""The demo province's customers, generated deterministically from a seed (CUS-1, CUS-2, KA-1).

`generate_chunk(context, layout, k)` is a pure function of the seed, the number of subscribers, the
date the data is "as of" and the ids of the reference rows (regions, price plans, staff): it returns the
rows of the k-th block of CHUNK subscribers for every table as numpy columns (kefu.demo.columns), which
kefu.demo.loader writes with binary COPY (PostgreSQL) or executemany (SQLite). The same seed gives the
same rows on both databases.

Ids are derived from the subscriber's position, not counted, so chunks are independent of each other:
subscriber k has id k + 1, its bill and usage rows for month m (0 = oldest of the 12) have id
12·k + m + 1, payments PAYMENT_MONTHS·k + j + 1, subscriptions len(SERVICES)·k + j + 1 and contacts
MAX_CONTACTS·k + j + 1 (rows that do not exist leave gaps, as deleted rows would).

Credit level and VIP tier are what the seed's default rules (kefu.keyaccounts, KA-1) give for the newest
billed month, so that a grading run over the generated bills confirms them:

- credit 5: five years of tenure, no late bill and an average of 300 yuan or more; 4: two years and at
  most one late bill; 3: at most two late bills; 2: at most five; otherwise 1 (a late bill is an earlier
  bill of the 12 months that is not fully paid);
- tier: an on-net, contracted subscriber with credit 3 or better and at least 3 bills whose average bill
  total reaches 1000 / 500 / 300 / 150 yuan is diamond / gold / silver / personal high value; everyone
  else is ordinary. Diamond, gold and silver customers are served by their city's customer manager
  (`manager.<city>`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from kefu.demo import vocab
from kefu.demo.columns import Column, Text, Vocabulary, day_number

CHUNK = 50_000
MONTHS = 12
PAYMENT_MONTHS = 3  # one payment per paid bill of the last three months
MAX_CONTACTS = 3

BRANDS = ("gotone", "mzone", "easyown")
BRAND_SHARES = (0.30, 0.25, 0.45)
# Typical monthly spend in fen (median of a lognormal) and its spread, by brand.
SPEND_MEDIAN_FEN = np.array([16000.0, 5500.0, 3500.0])
SPEND_SIGMA = np.array([0.75, 0.55, 0.60])
CONTRACT_SHARE = np.array([0.60, 0.25, 0.25])
# How the spend beyond plan and subscriptions splits into voice, SMS, data, roaming and other, by brand.
SPENDING_HABITS = np.array(
    [[0.45, 0.05, 0.30, 0.15, 0.05], [0.20, 0.15, 0.55, 0.03, 0.07], [0.60, 0.08, 0.25, 0.02, 0.05]]
)

# KA-1 defaults of the seed: tier, lowest average monthly spend in fen.
TIER_THRESHOLDS_FEN = (("diamond", 100_000), ("gold", 50_000), ("silver", 30_000), ("high_value", 15_000))
TIERS = ("diamond", "gold", "silver", "high_value", "ordinary")
MIN_BILL_MONTHS = 3
# Credit rules, best first: level, years of tenure, most late bills, lowest average spend in fen.
CREDIT_RULES = ((5, 5, 0, 30_000), (4, 2, 1, 0), (3, 0, 2, 0), (2, 0, 5, 0))
CREDIT_DEFAULT = 1
MANAGED_TIERS = ("diamond", "gold", "silver")

STATUSES = ("active", "suspended", "arrears_stopped", "closed")
STORES = ("on_net", "retained")
SHARE_CLOSED, SHARE_SUSPENDED, SHARE_ARREARS = 0.03, 0.02, 0.025
SHARE_LATE_PAYERS = 0.05  # pay some bills only in part; everyone stopped for arrears is one of them

_SECOND = 1_000_000  # microseconds
_DAY = 86_400 * _SECOND
_UTC_OFFSET = 8 * 3600 * _SECOND  # Asia/Shanghai has no daylight saving time


@dataclass(frozen=True)
class County:
    code: str  # "baoji-weibin"
    name: str
    city_code: str
    city_name: str
    region_id: int
    share: float  # of the province's subscribers


@dataclass(frozen=True)
class Plan:
    code: str
    brand: str
    monthly_fee_fen: int
    id: int


@dataclass(frozen=True)
class Context:
    """Everything the generator needs besides the seed: sizes, the reference date and reference ids."""

    subscribers: int
    seed: int
    as_of: dt.date  # the data describes the province at the start of this day (Asia/Shanghai)
    counties: tuple[County, ...]
    plans: tuple[Plan, ...]
    managers: dict[str, int]  # city code → user id of `manager.<city>`
    agents: dict[str, int]  # city code → user id of `agent.<city>`
    clerks: dict[str, int]  # city code → user id of `clerk.<city>`
    good_credit_level: int = 3
    tier_thresholds_fen: tuple[tuple[str, int], ...] = TIER_THRESHOLDS_FEN

    @property
    def chunks(self) -> int:
        return -(-self.subscribers // CHUNK)

    def chunk_size(self, k: int) -> int:
        return min(CHUNK, self.subscribers - k * CHUNK)


def county_weight(name: str) -> float:
    """Urban districts (区) are more populous than county-level cities (市) and counties (县)."""
    return 2.0 if name.endswith("区") else 1.2 if name.endswith("市") else 1.0


def allocate(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split `total` into integer parts proportional to `weights` (largest remainder), each at least
    `minimum` when the total allows it."""
    weights = np.asarray(weights, float)
    floor = minimum if total >= minimum * len(weights) else 0
    rest = total - floor * len(weights)
    exact = rest * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: rest - counts.sum()]] += 1
    return counts + floor


@dataclass(frozen=True)
class Layout:
    """Decisions over the whole province, drawn once from `default_rng(seed)`."""

    county: np.ndarray  # county index of every subscriber, in subscriber order
    msisdn_a: int  # subscriber k gets number (a·k + b) mod |number space|: unique for every k
    msisdn_b: int


MSISDN_SPACE = len(vocab.MSISDN_PREFIXES) * 10**8


def layout(context: Context) -> Layout:
    rng = np.random.default_rng(context.seed)
    shares = np.array([c.share for c in context.counties])
    counts = allocate(context.subscribers, shares, minimum=1)
    county = np.repeat(np.arange(len(context.counties), dtype=np.int16), counts)
    rng.shuffle(county)
    while True:  # a multiplier coprime with the number space (2^10 · 5^9) makes the map a permutation
        a = int(rng.integers(MSISDN_SPACE // 3, MSISDN_SPACE))
        if a % 2 and a % 5:
            break
    return Layout(county=county, msisdn_a=a, msisdn_b=int(rng.integers(0, MSISDN_SPACE)))


def msisdn_numbers(plan: Layout, positions: np.ndarray) -> np.ndarray:
    """The MSISDNs of the subscribers at these positions: an affine permutation of the number space
    (China Mobile segment × 10^8 numbers), so that no two subscribers ever share a number."""
    segment = (plan.msisdn_a * positions.astype(np.int64) + plan.msisdn_b) % MSISDN_SPACE
    prefixes = np.array(vocab.MSISDN_PREFIXES, np.int64)
    return prefixes[segment // 10**8] * 10**8 + segment % 10**8


def counties_of(cities, region_ids: dict[str, int]) -> tuple[County, ...]:
    """Counties of kefu.demo.province.CITIES with each one's share of the province."""
    from kefu.demo.province import county_code

    counties = []
    for city_code, city_name, _en, city_share, city_counties in cities:
        weights = np.array([county_weight(name) for _c, name, _e in city_counties])
        for (code, name, _en2), weight in zip(city_counties, weights / weights.sum(), strict=True):
            full = county_code(city_code, code)
            counties.append(County(full, name, city_code, city_name, region_ids[full], city_share * weight))
    return tuple(counties)


# --- word lists, encoded once per process ---------------------------------------------------------


@dataclass(frozen=True)
class _Words:
    surnames: Vocabulary
    surname_p: np.ndarray
    given_first: Vocabulary
    given_male: Vocabulary
    given_female: Vocabulary
    streets: Vocabulary
    street_kinds: Vocabulary
    digits: Vocabulary


_WORDS: _Words | None = None


def _words() -> _Words:
    global _WORDS
    if _WORDS is None:
        surnames = [s for s, _ in vocab.SURNAMES]
        p = np.array([w for _, w in vocab.SURNAMES])
        _WORDS = _Words(
            surnames=Vocabulary(surnames),
            surname_p=p / p.sum(),
            given_first=Vocabulary(vocab.GIVEN_FIRST),
            given_male=Vocabulary(vocab.GIVEN_MALE),
            given_female=Vocabulary(vocab.GIVEN_FEMALE),
            streets=Vocabulary(vocab.STREETS),
            street_kinds=Vocabulary(vocab.STREET_KINDS),
            digits=Vocabulary("0123456789X"),
        )
    return _WORDS


def _choice(rng, options, size) -> np.ndarray:
    p = np.array([share for *_rest, share in options], float)
    return rng.choice(len(options), size=size, p=p / p.sum())


def _months(as_of: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """First and last day (day numbers) of the 12 months before the month of `as_of`, oldest first."""
    firsts, lasts = [], []
    year, month = as_of.year, as_of.month
    for _ in range(MONTHS):
        last = dt.date(year, month, 1) - dt.timedelta(days=1)
        year, month = last.year, last.month
        firsts.append(day_number(last.replace(day=1)))
        lasts.append(day_number(last))
    return np.array(firsts[::-1], np.int32), np.array(lasts[::-1], np.int32)


def _id_check_characters(digits17: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check character index (0-9, 10 = X) of resident ID numbers."""
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], np.int64)
    table = np.array([1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2], np.int64)
    return table[(digits17 @ weights) % 11]


def _id_area_codes(context: Context) -> np.ndarray:
    codes = []
    for county in context.counties:
        code = vocab.COUNTY_ID_CODES.get(county.code) or vocab.CITY_ID_CODES.get(county.city_code, "6100") + "01"
        codes.append(int(code))
    return np.array(codes, np.int64)


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of day numbers."""
    dates = np.datetime64("2000-01-01", "D") + days.astype("timedelta64[D]")
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    return (
        years.astype(np.int64) + 1970,
        (months - years.astype("datetime64[M]")).astype(np.int64) + 1,
        (dates - months.astype("datetime64[D]")).astype(np.int64) + 1,
    )


def _local_timestamp(days: np.ndarray, seconds_of_day: np.ndarray) -> np.ndarray:
    """Microseconds since 2000-01-01 UTC of a local (Asia/Shanghai) day and time of day."""
    return days.astype(np.int64) * _DAY + seconds_of_day.astype(np.int64) * _SECOND - _UTC_OFFSET


# --- one chunk ---------------------------------------------------------------------------------------


@dataclass
class _Subscribers:
    """Per-subscriber arrays of one chunk (index i = position − first position of the chunk)."""

    n: int
    position: np.ndarray  # 0-based position in the province; id = position + 1
    county: np.ndarray
    city: np.ndarray
    brand: np.ndarray
    male: np.ndarray
    birth: np.ndarray  # day numbers
    join: np.ndarray
    closed: np.ndarray
    closed_day: np.ndarray
    suspended: np.ndarray
    arrears_stopped: np.ndarray
    late_payer: np.ndarray
    level: np.ndarray  # typical monthly spend in fen
    plan: np.ndarray  # index into context.plans
    plan_fee: np.ndarray
    contracted: np.ndarray

    @property
    def id(self) -> np.ndarray:
        return self.position + 1


def _subscribers(context: Context, plan: Layout, k: int, rng, today: int) -> _Subscribers:
    n = context.chunk_size(k)
    first = k * CHUNK
    county = plan.county[first : first + n].astype(np.int64)
    city_index = {code: i for i, code in enumerate(dict.fromkeys(c.city_code for c in context.counties))}
    city = np.array([city_index[c.city_code] for c in context.counties], np.int64)[county]

    brand = rng.choice(3, size=n, p=BRAND_SHARES)
    male = rng.random(n) < 0.52
    age_years = np.clip(rng.normal(np.array([42.0, 24.0, 45.0])[brand], np.array([10.0, 5.0, 15.0])[brand]), 16.5, 85)
    birth = today - np.floor(age_years * 365.25).astype(np.int64)
    tenure = np.floor(rng.beta(1.1, 1.6, n) * 15 * 365.25).astype(np.int64)
    tenure = np.minimum(tenure, today - 2 - (birth + 5845))  # joined at 16 or older (16 years ≤ 5845 days)
    join = today - 2 - tenure

    u = rng.random(n)
    closed = u < SHARE_CLOSED
    suspended = (u >= SHARE_CLOSED) & (u < SHARE_CLOSED + SHARE_SUSPENDED)
    arrears_stopped = (u >= SHARE_CLOSED + SHARE_SUSPENDED) & (u < SHARE_CLOSED + SHARE_SUSPENDED + SHARE_ARREARS)
    closed_from = np.maximum(join + 1, today - 1095)  # closed within the last three years
    closed_day = closed_from + np.floor(rng.random(n) * (today - closed_from)).astype(np.int64)
    late_payer = arrears_stopped | (rng.random(n) < SHARE_LATE_PAYERS)

    # Spend level, and a price plan of the brand a little below it.
    level = SPEND_MEDIAN_FEN[brand] * np.exp(rng.normal(0.0, 1.0, n) * SPEND_SIGMA[brand])
    target = level * rng.uniform(0.55, 1.0, n)
    plan_index = np.zeros(n, np.int64)
    for b, brand_code in enumerate(BRANDS):
        candidates = sorted(
            (i for i, p in enumerate(context.plans) if p.brand == brand_code),
            key=lambda i: context.plans[i].monthly_fee_fen,
        )
        if not candidates:
            raise ValueError(f"no price plan of brand {brand_code}")
        fees = np.array([context.plans[i].monthly_fee_fen for i in candidates])
        mask = brand == b
        pick = np.clip(np.searchsorted(fees, target[mask], side="right") - 1, 0, len(fees) - 1)
        plan_index[mask] = np.array(candidates)[pick]
    plan_fee = np.array([p.monthly_fee_fen for p in context.plans], np.int64)[plan_index]
    contracted = (rng.random(n) < CONTRACT_SHARE[brand]) & ~closed
    return _Subscribers(
        n=n,
        position=np.arange(first, first + n, dtype=np.int64),
        county=county,
        city=city,
        brand=brand,
        male=male,
        birth=birth,
        join=join,
        closed=closed,
        closed_day=closed_day,
        suspended=suspended,
        arrears_stopped=arrears_stopped,
        late_payer=late_payer,
        level=level,
        plan=plan_index,
        plan_fee=plan_fee,
        contracted=contracted,
    )


def _subscriptions(s: _Subscribers, rng, today: int, month_first: np.ndarray, month_last: np.ndarray):
    """Which services each subscriber holds, from when to when, and their monthly fees per bill month."""
    services = vocab.SERVICES
    count = len(services)
    take_up = np.array([service[5] for service in services])  # (services, brands)
    holds = rng.random((s.n, count)) < take_up[:, s.brand].T
    end_of_life = np.where(s.closed, s.closed_day, today)
    basic = np.array([service[0] == "basic" for service in services])[None, :]
    started = np.where(
        basic,
        s.join[:, None],
        s.join[:, None] + np.floor(rng.random((s.n, count)) * (end_of_life - s.join)[:, None]).astype(np.int64),
    )
    ended_early = rng.random((s.n, count)) < 0.12
    ended = started + np.floor(rng.random((s.n, count)) * (end_of_life[:, None] - started)).astype(np.int64)
    ended = np.where(s.closed[:, None] & ~ended_early, s.closed_day[:, None], ended)
    has_end = ended_early | s.closed[:, None]
    fees = np.array([service[4] for service in services], np.int64)
    monthly = np.zeros((s.n, MONTHS), np.int64)
    for j in np.flatnonzero(fees):
        active = (
            holds[:, j, None]
            & (started[:, j, None] <= month_last[None, :])
            & (~has_end[:, j, None] | (ended[:, j, None] >= month_first[None, :]))
        )
        monthly += active * fees[j]
    return holds, started, ended, has_end, fees, monthly


def _bills(s: _Subscribers, rng, vas: np.ndarray, month_first: np.ndarray, month_last: np.ndarray):
    """Fee items (n × 12 each) of the months with a bill: joined by the month's end, not closed before it."""
    has_bill = (s.join[:, None] <= month_last[None, :]) & (~s.closed[:, None] | (s.closed_day[:, None] >= month_first))
    spend = s.level[:, None] * np.exp(rng.normal(0.0, 0.18, (s.n, MONTHS)))
    rest = np.floor(np.maximum(spend - s.plan_fee[:, None] - vas, 0.0)).astype(np.int64)
    share = rng.gamma(SPENDING_HABITS[s.brand] * 8.0)
    share /= share.sum(axis=1, keepdims=True)
    parts = np.floor(rest[:, :, None] * share[:, None, :]).astype(np.int64)  # voice, sms, data, roaming, other
    roams = rng.random((s.n, MONTHS)) < np.array([0.35, 0.10, 0.08])[s.brand][:, None]
    parts[:, :, 3] = np.where(roams, parts[:, :, 3], 0)
    parts[:, :, 0] += rest - parts.sum(axis=2)  # rounding and roaming-free months go to voice
    discounted = (s.contracted[:, None] & (rng.random((s.n, MONTHS)) < 0.5)) | (rng.random((s.n, MONTHS)) < 0.05)
    discount = -np.where(discounted, np.floor(s.plan_fee[:, None] * rng.uniform(0.05, 0.2, (s.n, MONTHS))), 0)
    discount = discount.astype(np.int64)
    plan_item = np.broadcast_to(s.plan_fee[:, None], (s.n, MONTHS))
    total = plan_item + parts.sum(axis=2) + vas + discount

    # Arrears: a stopped subscriber owes its last one to three bills; late payers pay some bills in part.
    newest = np.cumsum(has_bill[:, ::-1], axis=1)[:, ::-1]  # 1 for the newest bill, 2 for the one before…
    unpaid = s.arrears_stopped[:, None] & has_bill & (newest <= rng.integers(1, 4, s.n)[:, None])
    short = s.late_payer[:, None] & has_bill & (rng.random((s.n, MONTHS)) < 0.3)
    paid = np.where(short, np.floor(total * rng.uniform(0.0, 0.9, (s.n, MONTHS))).astype(np.int64), total)
    paid = np.where(unpaid, 0, paid)
    return has_bill, plan_item, parts, discount, total, paid


def _grade(context: Context, s: _Subscribers, has_bill, total, paid, month_first) -> tuple[np.ndarray, np.ndarray]:
    """Credit level and VIP tier by the default rules, for the newest billed month (see the module doc)."""
    months = has_bill.sum(axis=1)
    spend = np.where(has_bill, total, 0).sum(axis=1)
    late = (has_bill & (paid < total))[:, :-1].sum(axis=1)
    graded_year, graded_month, _day = _civil(month_first[-1:])
    join_year, join_month, _day = _civil(s.join)
    tenure_years = ((graded_year * 12 + graded_month) - (join_year * 12 + join_month)) // 12
    credit = np.full(s.n, CREDIT_DEFAULT, np.int64)
    for level, years, most_late, min_avg in reversed(CREDIT_RULES):
        spends_enough = (min_avg == 0) | ((months > 0) & (spend >= months * min_avg))
        credit = np.where((tenure_years >= years) & (late <= most_late) & spends_enough, level, credit)
    eligible = ~s.closed & s.contracted & (credit >= context.good_credit_level) & (months >= MIN_BILL_MONTHS)
    tier = np.full(s.n, TIERS.index("ordinary"), np.int64)
    for name, threshold in reversed(context.tier_thresholds_fen):
        tier = np.where(eligible & (spend >= threshold * months), TIERS.index(name), tier)
    return credit, tier


def generate_chunk(context: Context, plan: Layout, k: int) -> dict[str, list[Column]]:
    """Rows of the subscribers k·CHUNK … (k+1)·CHUNK − 1 for the tables subscriber, bill, usage, payment,
    subscription and contact."""
    rng = np.random.default_rng(np.random.SeedSequence(context.seed, spawn_key=(k,)))
    today = day_number(context.as_of)
    month_first, month_last = _months(context.as_of)
    s = _subscribers(context, plan, k, rng, today)
    holds, started, ended, has_end, fees, vas = _subscriptions(s, rng, today, month_first, month_last)
    has_bill, plan_item, parts, discount, total, paid = _bills(s, rng, vas, month_first, month_last)
    credit, tier = _grade(context, s, has_bill, total, paid, month_first)
    managed = np.isin(tier, [TIERS.index(t) for t in MANAGED_TIERS])
    region_ids = np.array([c.region_id for c in context.counties], np.int64)
    cities = list(dict.fromkeys(c.city_code for c in context.counties))

    rows_i, rows_m = np.nonzero(has_bill)
    tables = {"subscriber": _subscriber_table(context, plan, s, rng, today, credit, tier, managed, has_bill, total)}
    tables["bill"], tables["usage"] = _bill_tables(
        s, rng, rows_i, rows_m, month_first, plan_item, parts, vas, discount, total, paid
    )
    tables["payment"] = _payment_table(s, rng, rows_i, rows_m, month_last, paid, today)

    # Subscriptions, in subscriber order.
    s_i, s_j = np.nonzero(holds)
    services = vocab.SERVICES
    tables["subscription"] = [
        Column("id", "int64", s.position[s_i] * len(services) + s_j + 1),
        Column("subscriber_id", "int64", s.id[s_i]),
        Column("kind", "text", Vocabulary([v[0] for v in services]).take(s_j)),
        Column("code", "text", Vocabulary([v[1] for v in services]).take(s_j)),
        Column("name", "text", Vocabulary([v[2] for v in services]).take(s_j)),
        Column("sp_code", "text", Vocabulary([v[3] for v in services]).take(s_j)),
        Column("monthly_fee_fen", "int32", fees[s_j]),
        Column("started_on", "date", started[s_i, s_j]),
        Column("ended_on", "date", ended[s_i, s_j], null=~has_end[s_i, s_j]),
    ]
    tables["contact"] = _contact_table(context, s, rng, today, managed, region_ids, cities)
    return tables


def _subscriber_table(context, plan, s: _Subscribers, rng, today, credit, tier, managed, has_bill, total):
    words = _words()
    n = s.n
    surname = rng.choice(len(words.surnames), size=n, p=words.surname_p)
    two_characters = rng.random(n) < 0.72
    name = Text.concat(
        words.surnames.take(surname),
        words.given_first.take(rng.integers(0, len(words.given_first), n)).where(two_characters),
        words.given_male.take(rng.integers(0, len(words.given_male), n)).where(s.male),
        words.given_female.take(rng.integers(0, len(words.given_female), n)).where(~s.male),
    )
    msisdn = Text.digits(msisdn_numbers(plan, s.position), 11)

    # Resident ID: area code (mostly the home county's), birth date, sequence (odd for men), check character.
    area_codes = _id_area_codes(context)
    born_here = rng.random(n) < 0.85
    area = np.where(born_here, area_codes[s.county], area_codes[rng.integers(0, len(area_codes), n)])
    year, month, day = _civil(s.birth)
    sequence = rng.integers(0, 50, n) * 10 + rng.integers(0, 5, n) * 2 + s.male
    id17 = np.concatenate(
        [
            Text.digits(area, 6).flat.reshape(n, 6),
            Text.digits(year * 10000 + month * 100 + day, 8).flat.reshape(n, 8),
            Text.digits(sequence, 3).flat.reshape(n, 3),
        ],
        axis=1,
    )
    check = words.digits.flat[_id_check_characters(id17.astype(np.int64) - 48)]
    id_number = Text(np.concatenate([id17, check[:, None]], axis=1).ravel(), np.full(n, 18, np.int64))

    address = Text.concat(
        Text.constant("陕西省", n),
        Vocabulary([c.city_name for c in context.counties]).take(s.county),
        Vocabulary([c.name for c in context.counties]).take(s.county),
        words.streets.take(rng.integers(0, len(words.streets), n)),
        words.street_kinds.take(rng.integers(0, len(words.street_kinds), n)),
        Text.number(np.floor(rng.pareto(1.2, n) * 20).astype(np.int64) % 998 + 1),
        Text.constant("号", n),
    )
    has_mailbox = rng.random(n) < np.array([0.3, 0.1, 0.03])[s.brand]
    email = Text.concat(msisdn, Text.constant("@139.com", n)).where(has_mailbox)

    months = has_bill.sum(axis=1)
    average_yuan = np.where(has_bill, total, 0).sum(axis=1) // np.maximum(months, 1) // 100
    tenure_months = (today - s.join) // 30 + 1
    points = (
        average_yuan * np.minimum(tenure_months, 36) * np.array([1.0, 0.5, 0.5])[s.brand] * rng.uniform(0.1, 0.9, n)
    )
    points = np.where(s.closed, 0, points)
    status = np.select([s.closed, s.suspended, s.arrears_stopped], [3, 1, 2], 0)
    manager_ids = np.array([context.managers[c] for c in dict.fromkeys(x.city_code for x in context.counties)])
    contract_end = today + 30 + rng.integers(0, 700, n)
    closed_at = _local_timestamp(s.closed_day, rng.integers(9 * 3600, 18 * 3600, n))
    return [
        Column("id", "int64", s.id),
        Column("msisdn", "text", msisdn),
        Column("name", "text", name),
        Column("id_type", "text", Text.constant("id_card", n)),
        Column("id_number", "text", id_number),
        Column("address", "text", address),
        Column("birth_date", "date", s.birth),
        Column("email", "text", email),
        Column("brand", "text", Vocabulary(BRANDS).take(s.brand)),
        Column("price_plan_id", "int64", np.array([p.id for p in context.plans], np.int64)[s.plan]),
        Column("status", "text", Vocabulary(STATUSES).take(status)),
        Column("store", "text", Vocabulary(STORES).take(s.closed.astype(np.int64))),
        Column("region_id", "int64", np.array([c.region_id for c in context.counties], np.int64)[s.county]),
        Column("join_date", "date", s.join),
        Column("contracted", "bool", s.contracted.astype(np.uint8)),
        Column("contract_end", "date", contract_end, null=~s.contracted),
        Column("credit_level", "int16", credit),
        Column("vip_tier", "text", Vocabulary(TIERS).take(tier)),
        Column("points_balance", "int32", points),
        Column("customer_manager_id", "int64", manager_ids[s.city], null=~managed),
        Column("closed_at", "timestamp", closed_at, null=~s.closed),
        Column("updated_at", "timestamp", _local_timestamp(np.full(n, today), np.zeros(n))),
    ]


def _bill_tables(s: _Subscribers, rng, rows_i, rows_m, month_first, plan_item, parts, vas, discount, total, paid):
    """Bill and usage rows, one per month with a bill; the usage follows from the fee items."""
    month_id = s.position[rows_i] * MONTHS + rows_m + 1
    subscriber_id = s.id[rows_i]
    month = month_first[rows_m]
    item = parts[rows_i, rows_m]
    bill = [
        Column("id", "int64", month_id),
        Column("subscriber_id", "int64", subscriber_id),
        Column("month", "date", month),
        Column("plan_fee_fen", "int32", plan_item[rows_i, rows_m]),
        Column("voice_fee_fen", "int32", item[:, 0]),
        Column("sms_fee_fen", "int32", item[:, 1]),
        Column("data_fee_fen", "int32", item[:, 2]),
        Column("roaming_fee_fen", "int32", item[:, 3]),
        Column("vas_fee_fen", "int32", vas[rows_i, rows_m]),
        Column("other_fee_fen", "int32", item[:, 4]),
        Column("discount_fen", "int32", discount[rows_i, rows_m]),
        Column("total_fen", "int32", total[rows_i, rows_m]),
        Column("paid_fen", "int32", paid[rows_i, rows_m]),
    ]
    # The plan includes minutes, messages and data in proportion to its fee; the fee items pay for the rest
    # (0.19 yuan a minute, 0.10 yuan a message, 0.03 yuan a MB, 0.49 yuan a roaming minute).
    m = len(rows_i)
    plan_yuan = plan_item[rows_i, rows_m] / 100.0
    b = s.brand[rows_i]
    voice = np.floor(plan_yuan * np.array([3.0, 1.5, 4.0])[b] * rng.uniform(0.4, 1.1, m) + item[:, 0] / 19.0)
    sms = np.floor(plan_yuan * np.array([1.0, 3.0, 0.5])[b] * rng.uniform(0.2, 1.0, m) + item[:, 1] / 10.0)
    data = np.floor(plan_yuan * np.array([25.0, 60.0, 15.0])[b] * rng.uniform(0.3, 1.0, m) + item[:, 2] / 3.0)
    competitor_share = rng.beta(2.0, 5.0, s.n)[rows_i]
    usage = [
        Column("id", "int64", month_id),
        Column("subscriber_id", "int64", subscriber_id),
        Column("month", "date", month),
        Column("voice_minutes", "int32", voice),
        Column("sms_count", "int32", sms),
        Column("data_mb", "int32", data),
        Column("roaming_minutes", "int32", item[:, 3] // 49),
        Column("competitor_minutes", "int32", np.floor(voice * competitor_share)),
    ]
    return bill, usage


def _payment_table(s: _Subscribers, rng, rows_i, rows_m, month_last, paid, today):
    """One payment per paid bill of the last PAYMENT_MONTHS months, in the month after the bill."""
    amount = paid[rows_i, rows_m]
    pay = (rows_m >= MONTHS - PAYMENT_MONTHS) & (amount > 0)
    p_i, p_m = rows_i[pay], rows_m[pay]
    count = len(p_i)
    day = np.minimum(month_last[p_m] + 1 + rng.integers(0, 21, count), today - 1)
    channels = Vocabulary([c for c, _share in vocab.PAYMENT_CHANNELS])
    return [
        Column("id", "int64", s.position[p_i] * PAYMENT_MONTHS + (p_m - (MONTHS - PAYMENT_MONTHS)) + 1),
        Column("subscriber_id", "int64", s.id[p_i]),
        Column("paid_at", "timestamp", _local_timestamp(day, rng.integers(8 * 3600, 22 * 3600, count))),
        Column("amount_fen", "int32", amount[pay]),
        Column("channel", "text", channels.take(_choice(rng, vocab.PAYMENT_CHANNELS, count))),
    ]


def _contact_table(context, s: _Subscribers, rng, today, managed, region_ids, cities):
    """One to MAX_CONTACTS contacts in the last 90 days for about one on-net subscriber in eight."""
    per_subscriber = np.where(
        ~s.closed & (rng.random(s.n) < 0.12), _choice(rng, ((1, 0.6), (2, 0.3), (3, 0.1)), s.n) + 1, 0
    )
    c_i = np.repeat(np.arange(s.n), per_subscriber)
    c_j = np.arange(len(c_i)) - np.repeat(np.cumsum(per_subscriber) - per_subscriber, per_subscriber)
    count = len(c_i)
    contact_id = s.position[c_i] * MAX_CONTACTS + c_j + 1
    earliest = np.maximum(s.join[c_i], today - 90)
    day = earliest + np.floor(rng.random(count) * (today - earliest)).astype(np.int64)
    started_at = _local_timestamp(day, rng.integers(8 * 3600, 22 * 3600, count))
    channel = _choice(rng, vocab.CONTACT_CHANNELS, count)  # hotline, hall, web, sms
    hotline, hall = channel == 0, channel == 1
    outbound = hotline & (rng.random(count) < 0.1)
    seconds = np.floor(np.exp(rng.normal(0, 0.6, count)) * np.array([200.0, 480.0, 300.0, 0.0])[channel])
    staff = np.where(
        hotline,
        np.array([context.agents[c] for c in cities], np.int64)[s.city[c_i]],
        np.array([context.clerks[c] for c in cities], np.int64)[s.city[c_i]],
    )
    queue = np.where(hotline, np.where(outbound, 2, np.where(managed[c_i], 0, 1)), 3)
    topic = _choice(rng, [(code, share) for code, _summary, share in vocab.CONTACT_TOPICS], count)
    year, month, day_of_month = _civil(day)
    recording = Text.concat(
        Text.constant("rec/", count),
        Text.digits(year * 10000 + month * 100 + day_of_month, 8),
        Text.constant("/", count),
        Text.number(contact_id),
        Text.constant(".wav", count),
    ).where(hotline)
    outcomes = Vocabulary([code for code, _share in vocab.CONTACT_OUTCOMES])
    return [
        Column("id", "int64", contact_id),
        Column("subscriber_id", "int64", s.id[c_i]),
        Column("region_id", "int64", region_ids[s.county[c_i]]),
        Column("channel", "text", Vocabulary([c for c, _share in vocab.CONTACT_CHANNELS]).take(channel)),
        Column("direction", "text", Vocabulary(["in", "out"]).take(outbound.astype(np.int64))),
        Column("started_at", "timestamp", started_at),
        Column("ended_at", "timestamp", started_at + seconds.astype(np.int64) * _SECOND),
        Column("agent_id", "int64", staff, null=~(hotline | hall)),
        Column("queue", "text", Vocabulary(["vip", "general", "outbound", ""]).take(queue)),
        Column("outcome", "text", outcomes.take(_choice(rng, vocab.CONTACT_OUTCOMES, count))),
        Column("wrap_up", "text", Vocabulary([code for code, _z, _s in vocab.CONTACT_TOPICS]).take(topic)),
        Column("summary", "text", Vocabulary([summary for _c, summary, _s in vocab.CONTACT_TOPICS]).take(topic)),
        Column("recording_ref", "text", recording),
    ]
