"""TMF632 Organization: group customers in scope, paging headers, fields, filters, masked contacts, TMF errors."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
URL = "/tmf-api/party/v4/organization"


@pytest.fixture
def xian(api, manager_xian):
    return api.login(manager_xian)


def test_list_in_scope_with_paging_and_fields(xian, make_group, manager_xian):
    groups = [make_group("xian", grade="A" if i % 2 else "B", manager=manager_xian) for i in range(3)]
    make_group("baoji")
    response = xian.get(URL, limit=2)
    assert response.status_code == 200
    assert response["X-Total-Count"] == "3" and response["X-Result-Count"] == "2"
    first = response.json()[0]
    assert first["id"] == str(groups[0].pk) and first["href"].endswith(f"{URL}/{groups[0].pk}")
    assert first["@type"] == "Organization" and first["status"] == "validated"
    assert first["organizationIdentification"] == [
        {"identificationType": "groupCode", "identificationId": groups[0].code}
    ]
    assert first["relatedParty"][0]["id"] == "manager.xian"
    assert first["contactMedium"][0]["characteristic"]["phoneNumber"] == "139****5678"
    slim = xian.get(URL, fields="name").json()[0]
    assert set(slim) == {"id", "href", "name"}


def test_filters(xian, make_group):
    a = make_group("xian", grade="A", nature="important")
    b = make_group("xian", grade="B")
    b.status = "churned"
    b.save()
    assert [o["id"] for o in xian.get(URL, grade="A").json()] == [str(a.pk)]
    assert [o["id"] for o in xian.get(URL, status="closed").json()] == [str(b.pk)]
    assert [o["id"] for o in xian.get(URL, organizationType="important").json()] == [str(a.pk)]
    code = xian.get(URL, **{"organizationIdentification.identificationId": b.code}).json()
    assert [o["id"] for o in code] == [str(b.pk)]
    assert len(xian.get(URL, id=f"{a.pk},{b.pk}").json()) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"status": "open"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"fields": "x"}, "fields"),
    ],
)
def test_bad_queries_are_tmf_errors(xian, params, field):
    response = xian.get(URL, **params)
    body = response.json()
    assert (
        response.status_code == 422 and body["field"] == field and body["@type"] == "Error" and body["status"] == "422"
    )


def test_get_one_and_out_of_scope(xian, api, make_group, manager_baoji):
    group = make_group("xian")
    assert xian.get(f"{URL}/{group.pk}").json()["name"] == group.name
    assert xian.get(f"{URL}/abc").status_code == 404
    baoji = api.login(manager_baoji)
    unknown, hidden = baoji.get(f"{URL}/999999"), baoji.get(f"{URL}/{group.pk}")
    assert unknown.status_code == hidden.status_code == 404 and unknown.json() == hidden.json()
    assert baoji.get(URL).json() == []


def test_ctk_mandatory_attributes_and_trading_name_filter(xian, make_group):
    a = make_group("xian", name="西安电力集团")
    make_group("xian", name="西安水务集团")
    listed = xian.get(URL, tradingName="西安电力集团").json()
    assert [o["id"] for o in listed] == [str(a.pk)]
    for item in xian.get(URL).json() + [xian.get(f"{URL}/{a.pk}").json()]:
        assert all(isinstance(item[key], str) for key in ("id", "href", "tradingName"))
    assert set(xian.get(URL, fields="tradingName").json()[0]) == {"id", "href", "tradingName"}
    assert xian.get(f"{URL}/933929cd-1761-44f5-96e7-e6e138d17b94").status_code == 404
