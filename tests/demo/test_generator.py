"""The generated province: deterministic, realistic and consistent with the business rules (CUS-1, CUS-2, KA-1)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

import numpy as np
import pytest
from django.db.models import Count

from kefu.contact.models import Contact
from kefu.core.models import Region, RegionLevel
from kefu.core.services import login
from kefu.core.validators import is_msisdn
from kefu.customers.models import Bill, Payment, Subscriber, Subscription, UsageSummary
from kefu.demo import generator, vocab
from kefu.demo.province import CITIES, PRICE_PLANS
from tests.demo.conftest import AS_OF, PASSWORD, SMALL, database_digests, generated_digests

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_check(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def test_same_seed_gives_the_same_rows_as_the_generator_and_another_seed_differs(load):
    load(seed=1)
    first = database_digests()
    # What is stored is exactly what the generator produces, on either database (foreign keys compared by code).
    assert first == generated_digests(SMALL, 1)
    load(seed=1)
    assert database_digests() == first
    load(seed=2)
    second = database_digests()
    assert all(second[table] != first[table] for table in first)


def test_rerunning_replaces_instead_of_doubling(load):
    load()
    counts = {
        model: model.objects.count() for model in (Subscriber, Bill, UsageSummary, Payment, Subscription, Contact)
    }
    load()
    assert {model: model.objects.count() for model in counts} == counts
    assert counts[Subscriber] == SMALL
    assert counts[Bill] > 10 * SMALL and counts[Subscription] > SMALL and counts[Contact] > 0
    # New rows after the load get fresh ids (the id sequences were moved past the explicit ids).
    sub = Subscriber.objects.first()
    bill = Bill.objects.create(subscriber=sub, month=dt.date(2020, 1, 1), plan_fee_fen=100, total_fen=100)
    assert bill.pk > Bill.objects.exclude(pk=bill.pk).order_by("-pk").values_list("pk", flat=True).first()


def test_msisdns_are_china_mobile_numbers_unique_among_on_net_subscribers(province):
    numbers = list(Subscriber.objects.values_list("msisdn", "store"))
    assert all(is_msisdn(m) and int(m[:3]) in vocab.MSISDN_PREFIXES for m, _store in numbers)
    on_net = [m for m, store in numbers if store == "on_net"]
    assert len(set(on_net)) == len(on_net)


def test_msisdns_stay_unique_for_a_million_subscribers():
    plan = generator.Layout(county=np.zeros(0), msisdn_a=1_234_567_891, msisdn_b=987_654_321)
    numbers = generator.msisdn_numbers(plan, np.arange(1_000_000))
    assert len(np.unique(numbers)) == 1_000_000
    assert numbers.min() >= 134 * 10**8 and numbers.max() < 199 * 10**8


def test_personal_data_is_realistic_and_fits_the_region(province):
    county_codes = {r.pk: r.code for r in Region.objects.filter(level=RegionLevel.COUNTY)}
    in_home_county = 0
    for sub in Subscriber.objects.select_related("region__parent"):
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", sub.name), sub.name
        number = sub.id_number
        assert len(number) == 18 and number.startswith("61") and number[-1] == _id_check(number[:17])
        assert number[6:14] == sub.birth_date.strftime("%Y%m%d")
        assert sub.join_date >= sub.birth_date.replace(year=sub.birth_date.year + 16)
        in_home_county += number[:6] == vocab.COUNTY_ID_CODES[county_codes[sub.region_id]]
        city, county = sub.region.parent.name, sub.region.name
        assert re.fullmatch(rf"陕西省{city}{county}[\u4e00-\u9fff]+(路|街|大道|巷)\d+号", sub.address), sub.address
        assert sub.email in ("", f"{sub.msisdn}@139.com")
    assert in_home_county > 0.7 * SMALL


def test_brands_plans_statuses_and_stores(province):
    subs = list(Subscriber.objects.select_related("price_plan"))
    brands = Counter(s.brand for s in subs)
    assert 0.2 < brands["gotone"] / SMALL < 0.4 and 0.35 < brands["easyown"] / SMALL < 0.55 and brands["mzone"]
    assert all(s.price_plan.brand == s.brand for s in subs)
    assert {s.price_plan.code for s in subs} <= {code for code, *_rest in PRICE_PLANS}
    statuses = Counter(s.status for s in subs)
    assert statuses["active"] > 0.85 * SMALL
    for s in subs:
        assert (s.store == "retained") == (s.status == "closed") == (s.closed_at is not None)
        assert s.contracted == (s.contract_end is not None)
        assert 1 <= s.credit_level <= 5 and s.points_balance >= 0
        assert AS_OF - dt.timedelta(days=15 * 366) <= s.join_date < AS_OF
    contracted = sum(s.contracted for s in subs) / SMALL
    assert 0.25 < contracted < 0.45
    gotone = [s for s in subs if s.brand == "gotone"]
    assert sum(s.contracted for s in gotone) / len(gotone) > contracted


def test_every_city_and_county_gets_subscribers(province):
    per_county = dict(Subscriber.objects.values_list("region__code").annotate(n=Count("id")))
    counties = [f"{city[0]}-{c[0]}" for city in CITIES for c in city[4]]
    assert all(per_county.get(code, 0) >= 1 for code in counties)
    per_city = Counter()
    for code, n in per_county.items():
        per_city[code.split("-")[0]] += n
    assert per_city.most_common(1)[0][0] == "xian"
    for city_code, _name, _en, share, _counties in CITIES:
        assert abs(per_city[city_code] / SMALL - share) < 0.04  # one subscriber per county first


def _credit(tenure_years: int, late: int, bills: list[int]) -> int:
    """The seed's default credit rules (kefu.keyaccounts): best matching level first."""
    average_at_least_300 = bool(bills) and sum(bills) >= 30_000 * len(bills)
    if tenure_years >= 5 and late == 0 and average_at_least_300:
        return 5
    if tenure_years >= 2 and late <= 1:
        return 4
    return 3 if late <= 2 else 2 if late <= 5 else 1


def test_bills_add_up_and_credit_and_tiers_follow_the_default_rules(province):
    months = sorted(set(Bill.objects.values_list("month", flat=True)))
    assert len(months) == 12 and months[-1] == dt.date(2026, 10, 1) and months[0] == dt.date(2025, 11, 1)
    totals, late = defaultdict(list), Counter()
    owing = 0
    for bill in Bill.objects.all():
        assert bill.total_fen == sum(getattr(bill, item) for item in Bill.FEE_ITEMS)
        assert bill.discount_fen <= 0 and bill.plan_fee_fen > 0 and 0 <= bill.paid_fen <= bill.total_fen
        owing += bill.paid_fen < bill.total_fen
        totals[bill.subscriber_id].append(bill.total_fen)
        late[bill.subscriber_id] += bill.paid_fen < bill.total_fen and bill.month < months[-1]
    assert 0 < owing < 0.06 * Bill.objects.count()
    thresholds = {"diamond": 100_000, "gold": 50_000, "silver": 30_000, "high_value": 15_000}
    for sub in Subscriber.objects.select_related("region__parent", "customer_manager"):
        bills = totals.get(sub.pk, [])
        tenure = ((2026 * 12 + 10) - (sub.join_date.year * 12 + sub.join_date.month)) // 12
        assert sub.credit_level == _credit(tenure, late[sub.pk], bills), sub.pk
        eligible = sub.store == "on_net" and sub.contracted and sub.credit_level >= 3 and len(bills) >= 3
        average = sum(bills) / len(bills) if bills else 0
        expected = next((t for t, floor in thresholds.items() if eligible and average >= floor), "ordinary")
        assert sub.vip_tier == expected, (sub.pk, average, sub.vip_tier)
        if sub.vip_tier in ("diamond", "gold", "silver"):
            assert sub.customer_manager.username == f"manager.{sub.region.parent.code}"
        else:
            assert sub.customer_manager is None
    assert Subscriber.objects.exclude(vip_tier="ordinary").exists()
    assert len(set(Subscriber.objects.values_list("credit_level", flat=True))) >= 3


def test_monthly_grading_of_the_generated_province_changes_nobody(province, settings, tmp_path):
    from kefu.core.models import User
    from kefu.keyaccounts import services
    from kefu.warehouse.loaders import load_from_database

    settings.KEFU_WAREHOUSE_DIR = tmp_path / "warehouse"
    load_from_database()
    run = services.grade_month(User.objects.get(username="admin"), dt.date(2026, 10, 1))
    assert run.subscribers > 0.9 * SMALL
    assert (run.tier_changes, run.credit_changes) == (0, 0)


def test_usage_payments_subscriptions_and_contacts_fit_the_bills(province):
    bill_months = set(Bill.objects.values_list("subscriber_id", "month"))
    assert set(UsageSummary.objects.values_list("subscriber_id", "month")) == bill_months
    for usage in UsageSummary.objects.all():
        assert 0 <= usage.competitor_minutes <= usage.voice_minutes and usage.data_mb >= 0
    paid = {(b.subscriber_id, b.month): b.paid_fen for b in Bill.objects.filter(month__gte=dt.date(2026, 8, 1))}
    payments = list(Payment.objects.all())
    assert payments and sum(p.amount_fen for p in payments) == sum(paid.values())
    midnight = dt.datetime(2026, 11, 15, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert all(p.paid_at < midnight and p.channel in ("web", "hall", "terminal", "boss") for p in payments)
    kinds = Counter(Subscription.objects.values_list("kind", flat=True))
    assert kinds["basic"] and kinds["vas"] and kinds["sp"]
    assert all(s.sp_code for s in Subscription.objects.filter(kind="sp"))
    for contact in Contact.objects.select_related("subscriber"):
        assert midnight - dt.timedelta(days=91) < contact.started_at < midnight
        assert contact.ended_at >= contact.started_at and contact.region_id == contact.subscriber.region_id
        assert (contact.agent_id is not None) == (contact.channel in ("hotline", "hall"))
        assert contact.subscriber.store == "on_net"


@pytest.mark.postgres_only
def test_postgresql_load_restores_every_index_and_constraint(load):
    from django.db import connection

    def catalog():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
                WHERE indrelid::regclass::text LIKE ANY (ARRAY['customers_%%', 'contact_%%'])
                UNION ALL
                SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conrelid::regclass::text LIKE ANY (ARRAY['customers_%%', 'contact_%%'])
                   OR confrelid::regclass::text LIKE ANY (ARRAY['customers_%%', 'contact_%%'])
                ORDER BY 1, 2
                """
            )
            return cursor.fetchall()

    before = catalog()
    load()
    assert catalog() == before
    names = {name for name, _definition in before}
    assert {"bill_total_is_sum_of_items", "customers_bill_pkey", "subscriber_on_net_msisdn"} <= names
    # foreign keys of other areas that point at the customers (work orders, for one) are back too
    assert any(name.startswith("workorders_") for name in names)


def test_a_failed_load_leaves_the_previous_province_in_place(load, monkeypatch):
    load(seed=1)
    before = database_digests()
    real = generator.generate_chunk

    def failing(context, plan, k):
        if k == 1:
            raise RuntimeError("disk full")
        return real(context, plan, k)

    monkeypatch.setattr(generator, "generate_chunk", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        load(seed=2, password="Another-pass-2")
    monkeypatch.setattr(generator, "generate_chunk", real)
    assert database_digests() == before
    assert login("agent.xian", PASSWORD).username == "agent.xian"  # the staff passwords are unchanged too


def test_rerunning_removes_what_pointed_at_the_old_customers(load):
    """Ids are reused by the next province: a work order must not end up on a stranger's profile."""
    from kefu.core.models import User
    from kefu.workorders import services as work_orders
    from kefu.workorders.models import WorkOrder

    load()
    customer = Subscriber.objects.filter(region__parent__code="xian", store="on_net").first()
    agent = User.objects.get(username="agent.xian")
    work_orders.create(agent, category="complaint-billing", title="话费异常", channel="hotline", msisdn=customer.msisdn)
    assert WorkOrder.objects.filter(customer_id=customer.pk).exists()
    load(seed=2)
    assert not WorkOrder.objects.exists()


def test_a_province_of_one_subscriber(load):
    load(subscribers=1)
    assert Subscriber.objects.count() == 1
    assert Bill.objects.count() == UsageSummary.objects.count() <= 12
