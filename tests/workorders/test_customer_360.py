"""CUS-3 with work orders: the 360 view lists the customer's open orders the caller may see."""

import pytest

from kefu.workorders import services

pytestmark = pytest.mark.django_db


def test_360_lists_open_orders_with_step_and_due_time(api, staff, xian_customer, clock):
    agent = staff["agent.xian"]
    open_one = services.create(
        agent, category="complaint-billing", title="话费异常", channel="hotline", msisdn=xian_customer.msisdn
    )
    closed = services.create(
        agent, category="inquiry-billing", title="查询话费", channel="hotline", msisdn=xian_customer.msisdn
    )
    services.close(agent, closed.number, version=closed.version, result="已答复")
    body = api.login(agent).get(f"/api/v1/customers/{xian_customer.msisdn}/360").json()
    listed = body["open_work_orders"]
    assert listed[0].pop("status_label")
    assert listed == [
        {
            "number": open_one.number,
            "title": "话费异常",
            "category": "complaint-billing",
            "category_name": "计费争议",
            "step": "accept",
            "step_name": "受理",
            "status": "open",
            "due_at": "2026-11-27T09:00:00+08:00",
            "step_due_at": "2026-11-26T11:00:00+08:00",
            "overdue": False,
        }
    ]


def test_360_of_a_visiting_customer_shows_only_what_the_home_city_sees(api, staff, baoji_customer, clock):
    # a Xi'an agent accepted a cross-region order for a Baoji customer: Baoji's 360 lists it
    services.create(
        staff["agent.xian"],
        category="cross-region-payment",
        title="异地缴费未到账",
        channel="hall",
        msisdn=baoji_customer.msisdn,
    )
    body = api.login(staff["agent.baoji"]).get(f"/api/v1/customers/{baoji_customer.msisdn}/360").json()
    assert [o["category"] for o in body["open_work_orders"]] == ["cross-region-payment"]
