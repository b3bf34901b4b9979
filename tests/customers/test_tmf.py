"""TMF629 Customer and TMF632 Individual: what a TM Forum client (and its conformance kit) checks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.core.models import AccessLog, User

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
INDIVIDUALS = "/tmf-api/party/v4/individual"

# The CTK's mandatory attributes (CTK-Customer-4.0.0, TMF632-Party-v4.0.0.testkit).
CUSTOMER_MANDATORY = {"engagedParty", "@type", "href", "id", "name"}
INDIVIDUAL_MANDATORY = {"familyName", "givenName", "href", "id"}


def masked(msisdn: str) -> str:
    return f"{msisdn[:3]}****{msisdn[-4:]}"


def medium(resource: dict, medium_type: str) -> dict:
    return next(m["characteristic"] for m in resource["contactMedium"] if m["mediumType"] == medium_type)


def characteristics(resource: dict) -> dict:
    return {c["name"]: c["value"] for c in resource["characteristic"]}


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()]


def assert_tmf_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] and body["reason"] and body["message"] and body["status"] == str(status)
    if field is not None:
        assert body["field"] == field
    return body


# --- shapes -------------------------------------------------------------------------------------


def test_customer_list_and_get_carry_the_ctk_mandatory_attributes(api, admin_user, make_subscriber):
    first = make_subscriber()
    make_subscriber(region="baoji-weibin", name="李强")
    api.login(admin_user)

    response = api.get(CUSTOMERS)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list) and len(body) == 2
    for item in body:
        assert CUSTOMER_MANDATORY <= set(item)
        assert all(isinstance(item[key], str) for key in ("@type", "href", "id", "name"))
        assert item["@type"] == "Customer"
        assert item["engagedParty"]["@referredType"] == "Individual"
        assert item["engagedParty"]["id"] == item["id"]
    assert response["X-Total-Count"] == "2" and response["X-Result-Count"] == "2"

    # the kit looks for the values verbatim in the body: UTF-8 text, not \u escapes
    assert "张伟" in response.content.decode() and "李强" in response.content.decode()

    # the href is where the customer is
    href = body[0]["href"]
    assert href == f"http://testserver{CUSTOMERS}/{first.pk}"
    one = api.get(href.removeprefix("http://testserver"))
    assert one.status_code == 200
    assert one.json() == body[0]
    # and the engaged party's href leads to the Individual
    party = api.get(one.json()["engagedParty"]["href"].removeprefix("http://testserver"))
    assert party.status_code == 200 and party.json()["fullName"] == "张伟"


def test_customer_shape_status_characteristics_and_contact_media(api, make_staff, agent_xian, make_subscriber):
    manager = make_staff("manager.xian", "manager", "xian")
    manager.first_name = "王经理"
    manager.save()
    sub = make_subscriber(
        email="13800138000@139.com", vip_tier="diamond", credit_level=5, points_balance=8800, customer_manager=manager
    )
    body = api.login(agent_xian).get(f"{CUSTOMERS}/{sub.pk}").json()

    assert body["id"] == str(sub.pk) and body["name"] == "张伟"
    assert body["status"] == "Approved" and body["statusReason"]
    assert body["validFor"] == {"startDateTime": "2015-03-01T00:00:00+08:00"}
    assert characteristics(body) == {
        "brand": "gotone",
        "pricePlan": "gotone-128",
        "vipTier": "diamond",
        "creditLevel": 5,
        "pointsBalance": 8800,
        "homeCity": "xian",
        "contracted": True,
    }
    phone = medium(body, "telephoneNumber")
    assert phone == {"contactType": "mobile", "phoneNumber": masked(sub.msisdn)}
    address = medium(body, "postalAddress")
    assert address["street1"] == "陕西省西安市雁塔区****"
    assert address["city"] == "西安市" and address["stateOrProvince"] == "陕西省" and address["country"] == "CN"
    # a China Mobile mailbox is the number itself: masked too
    assert medium(body, "email")["emailAddress"] == "1***@139.com"
    assert body["relatedParty"] == [
        {"id": "manager.xian", "name": "王经理", "role": "customerManager", "@referredType": "Individual"}
    ]


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("active", "Approved"), ("suspended", "Suspended"), ("arrears_stopped", "Suspended"), ("closed", "Closed")],
)
def test_status_mapping(api, admin_user, make_subscriber, ours, theirs):
    closed_at = timezone.make_aware(dt.datetime(2026, 5, 4, 10, 30)) if ours == "closed" else None
    sub = make_subscriber(status=ours, closed_at=closed_at, store="retained" if ours == "closed" else "on_net")
    body = api.login(admin_user).get(f"{CUSTOMERS}/{sub.pk}").json()
    assert body["status"] == theirs
    if ours == "closed":
        assert body["validFor"]["endDateTime"] == "2026-05-04T10:30:00+08:00"
    else:
        assert "endDateTime" not in body["validFor"]


def test_individual_shape_and_chinese_names(api, agent_xian, make_subscriber):
    sub = make_subscriber(name="欧阳娜娜", birth_date=dt.date(1990, 1, 1), email="nana@example.com")
    response = api.login(agent_xian).get(f"{INDIVIDUALS}/{sub.pk}")
    assert response.status_code == 200
    body = response.json()
    assert INDIVIDUAL_MANDATORY <= set(body)
    assert body["@type"] == "Individual" and body["status"] == "validated"
    assert body["href"] == f"http://testserver{INDIVIDUALS}/{sub.pk}"
    # first character is the surname
    assert (body["familyName"], body["givenName"], body["fullName"]) == ("欧", "阳娜娜", "欧阳娜娜")
    assert body["individualIdentification"] == [
        {"identificationType": "nationalIdentityCard", "identificationId": "6101**********1234"}
    ]
    assert medium(body, "telephoneNumber")["phoneNumber"] == masked(sub.msisdn)
    assert medium(body, "email")["emailAddress"] == "n***@example.com"
    # the birth date is what the ID number's mask hides
    assert "birthDate" not in body


def test_individual_list_carries_the_ctk_mandatory_attributes(api, admin_user, make_subscriber):
    make_subscriber(name="张伟")
    make_subscriber(name="John Smith", id_type="passport", id_number="E12345678")
    response = api.login(admin_user).get(INDIVIDUALS)
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 2 and response["X-Total-Count"] == "2"
    for item in body:
        assert INDIVIDUAL_MANDATORY <= set(item)
        assert all(isinstance(item[key], str) for key in INDIVIDUAL_MANDATORY)
    passport = body[1]
    assert (passport["givenName"], passport["familyName"]) == ("John", "Smith")
    assert passport["individualIdentification"][0]["identificationType"] == "passport"


# --- masking, scope and the access log -----------------------------------------------------------


def test_admin_sees_personal_data_unmasked(api, admin_user, make_subscriber):
    sub = make_subscriber(birth_date=dt.date(1990, 1, 1), email="13800138000@139.com")
    api.login(admin_user)
    customer = api.get(f"{CUSTOMERS}/{sub.pk}").json()
    assert medium(customer, "telephoneNumber")["phoneNumber"] == sub.msisdn
    assert medium(customer, "postalAddress")["street1"] == sub.address
    assert medium(customer, "email")["emailAddress"] == "13800138000@139.com"
    person = api.get(f"{INDIVIDUALS}/{sub.pk}").json()
    assert person["individualIdentification"][0]["identificationId"] == sub.id_number
    assert person["birthDate"] == "1990-01-01T00:00:00+08:00"
    listed = api.get(CUSTOMERS).json()[0]
    assert medium(listed, "telephoneNumber")["phoneNumber"] == sub.msisdn


def test_agent_lists_masked(api, agent_xian, make_subscriber):
    sub = make_subscriber()
    listed = api.login(agent_xian).get(CUSTOMERS).json()[0]
    assert medium(listed, "telephoneNumber")["phoneNumber"] == masked(sub.msisdn)
    assert sub.msisdn not in str(api.get(INDIVIDUALS).content.decode())


def test_baoji_agent_can_neither_list_nor_get_a_xian_customer(api, agent_baoji, make_subscriber):
    xian = make_subscriber(region="xian-yanta")
    mine = make_subscriber(region="baoji-weibin", name="李强")
    api.login(agent_baoji)

    assert ids(api.get(CUSTOMERS)) == [str(mine.pk)]
    assert api.get(CUSTOMERS)["X-Total-Count"] == "1"
    assert ids(api.get(CUSTOMERS, id=str(xian.pk))) == []
    assert ids(api.get(CUSTOMERS, name="张伟")) == []
    assert ids(api.get(INDIVIDUALS)) == [str(mine.pk)]

    for base in (CUSTOMERS, INDIVIDUALS):
        foreign = api.get(f"{base}/{xian.pk}")
        unknown = api.get(f"{base}/{xian.pk + 1000}")
        not_a_number = api.get(f"{base}/c2df1950-c17c-4576-9c22-e59073a4a86a")
        too_big = api.get(f"{base}/99999999999999999999")
        assert_tmf_error(foreign, 404)
        assert foreign.json() == unknown.json() == not_a_number.json() == too_big.json()
        assert unknown.status_code == not_a_number.status_code == too_big.status_code == 404
    assert not AccessLog.objects.filter(object_id=str(xian.pk)).exists()


def test_each_get_is_logged_and_lists_log_a_search(api, agent_xian, admin_user, make_subscriber):
    sub = make_subscriber()
    api.login(agent_xian)
    api.get(f"{CUSTOMERS}/{sub.pk}")
    api.get(f"{INDIVIDUALS}/{sub.pk}", fields="givenName")
    views = AccessLog.objects.filter(user=agent_xian, object_id=str(sub.pk), action="view", channel="api")
    assert sorted(views.values_list("detail", flat=True)) == ["tmf629", "tmf632"]

    api.get(CUSTOMERS, status="Approved")
    search = AccessLog.objects.get(user=agent_xian, action="search")
    assert "status=Approved" in search.detail and search.detail.endswith("results=1")

    api.login(admin_user).get(f"{CUSTOMERS}/{sub.pk}")
    assert AccessLog.objects.filter(user=admin_user, object_id=str(sub.pk), action="unmask").count() == 1


def test_authentication_and_permission_are_required(client, api, regions, make_subscriber):
    sub = make_subscriber()
    assert client.get(f"{CUSTOMERS}/{sub.pk}").status_code == 401
    assert client.get(INDIVIDUALS).status_code == 401
    nobody = User.objects.create_user(username="nobody", password="Kefu-test-2026", region=regions["xian"])
    api.login(nobody)
    assert_tmf_error(api.get(CUSTOMERS), 403)
    assert_tmf_error(api.get(f"{INDIVIDUALS}/{sub.pk}"), 403)
    assert not AccessLog.objects.filter(object_id=str(sub.pk)).exists()


# --- fields, paging, filters ----------------------------------------------------------------------


def test_fields_selects_attributes_plus_id_and_href(api, admin_user, make_subscriber):
    sub = make_subscriber()
    api.login(admin_user)
    assert api.get(CUSTOMERS, fields="name").json() == [
        {"id": str(sub.pk), "href": f"http://testserver{CUSTOMERS}/{sub.pk}", "name": "张伟"}
    ]
    assert set(api.get(CUSTOMERS, fields="id").json()[0]) == {"id", "href"}
    assert set(api.get(CUSTOMERS, fields="status,characteristic").json()[0]) == {
        "id",
        "href",
        "status",
        "characteristic",
    }
    # an attribute of the resource we do not hold is simply absent
    assert set(api.get(CUSTOMERS, fields="name,creditProfile").json()[0]) == {"id", "href", "name"}
    assert set(api.get(f"{CUSTOMERS}/{sub.pk}", fields="engagedParty").json()) == {"id", "href", "engagedParty"}
    assert api.get(INDIVIDUALS, fields="familyName").json() == [
        {"id": str(sub.pk), "href": f"http://testserver{INDIVIDUALS}/{sub.pk}", "familyName": "张"}
    ]


def test_unknown_field_or_parameter_is_refused_naming_it(api, admin_user, make_subscriber):
    sub = make_subscriber()
    api.login(admin_user)
    body = assert_tmf_error(api.get(CUSTOMERS, fields="name,shoeSize"), 422, "fields")
    assert "shoeSize" in body["message"]
    assert_tmf_error(api.get(f"{INDIVIDUALS}/{sub.pk}", fields="nickname"), 422, "fields")
    body = assert_tmf_error(api.get(CUSTOMERS, shoeSize="42"), 422, "shoeSize")
    assert "shoeSize" in body["message"]
    assert_tmf_error(api.get(INDIVIDUALS, name="张伟"), 422, "name")  # an Individual has no `name`
    assert_tmf_error(api.get(f"{CUSTOMERS}/{sub.pk}", status="Approved"), 422, "status")


def test_offset_limit_and_count_headers(api, admin_user, make_subscriber):
    subs = [make_subscriber() for _ in range(5)]
    api.login(admin_user)
    page = api.get(CUSTOMERS, offset=1, limit=2)
    assert ids(page) == [str(subs[1].pk), str(subs[2].pk)]
    assert page["X-Total-Count"] == "5" and page["X-Result-Count"] == "2"
    assert len(api.get(CUSTOMERS).json()) == 5
    beyond = api.get(INDIVIDUALS, offset=10)
    assert beyond.json() == [] and beyond["X-Total-Count"] == "5" and beyond["X-Result-Count"] == "0"
    assert len(api.get(CUSTOMERS, limit=200).json()) == 5


def test_default_limit_is_20(api, admin_user, make_subscriber):
    for _ in range(21):
        make_subscriber()
    response = api.login(admin_user).get(INDIVIDUALS)
    assert len(response.json()) == 20 and response["X-Total-Count"] == "21"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "1.5"}, "offset"),
    ],
)
def test_bad_paging_is_422_naming_the_field(api, admin_user, params, field):
    api.login(admin_user)
    for base in (CUSTOMERS, INDIVIDUALS):
        assert_tmf_error(api.get(base, **params), 422, field)


def test_customer_filters(api, admin_user, plans, make_subscriber):
    zhang = make_subscriber(name="张伟", vip_tier="gold")
    li = make_subscriber(
        name="李娜", region="baoji-weibin", brand="mzone", price_plan=plans["mzone-38"], vip_tier="ordinary",
        credit_level=2, contracted=False,
    )  # fmt: skip
    wang = make_subscriber(name="王芳", status="arrears_stopped", vip_tier="silver")
    api.login(admin_user)

    assert ids(api.get(CUSTOMERS, name="张伟")) == [str(zhang.pk)]
    assert ids(api.get(CUSTOMERS, name="张")) == []  # equality, as the TMF guidelines say
    assert ids(api.get(CUSTOMERS, status="Approved")) == [str(zhang.pk), str(li.pk)]
    assert ids(api.get(CUSTOMERS, status="suspended")) == [str(wang.pk)]
    assert ids(api.get(CUSTOMERS, status="Approved", name="张伟")) == [str(zhang.pk)]  # AND
    assert ids(api.get(CUSTOMERS, status="Approved", name="王芳")) == []
    assert ids(api.get(CUSTOMERS, brand="mzone")) == [str(li.pk)]
    assert ids(api.get(CUSTOMERS, vipTier="gold,silver")) == [str(zhang.pk), str(wang.pk)]  # OR
    assert ids(api.get(CUSTOMERS, pricePlan="mzone-38")) == [str(li.pk)]
    assert ids(api.get(CUSTOMERS, homeCity="baoji")) == [str(li.pk)]
    assert ids(api.get(CUSTOMERS, creditLevel="2")) == [str(li.pk)]
    assert ids(api.get(CUSTOMERS, contracted="false")) == [str(li.pk)]
    assert ids(api.get(CUSTOMERS, id=f"{li.pk},{wang.pk}")) == [str(li.pk), str(wang.pk)]
    assert ids(api.get(CUSTOMERS, id="c2df1950-c17c-4576-9c22-e59073a4a86a")) == []
    assert ids(api.get(CUSTOMERS, **{"engagedParty.id": str(zhang.pk)})) == [str(zhang.pk)]
    assert ids(api.get(CUSTOMERS, **{"contactMedium.characteristic.phoneNumber": wang.msisdn})) == [str(wang.pk)]
    filtered = api.get(CUSTOMERS, vipTier="gold,silver", limit=1)
    assert filtered["X-Total-Count"] == "2" and filtered["X-Result-Count"] == "1"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "Happy"}, "status"),
        ({"brand": "nokia"}, "brand"),
        ({"vipTier": "platinum"}, "vipTier"),
        ({"creditLevel": "9"}, "creditLevel"),
        ({"homeCity": "atlantis"}, "homeCity"),
        ({"contracted": "maybe"}, "contracted"),
        ({"contactMedium.characteristic.phoneNumber": "12345"}, "contactMedium.characteristic.phoneNumber"),
    ],
)
def test_bad_filter_values_are_422_naming_the_filter(api, admin_user, params, field):
    body = assert_tmf_error(api.login(admin_user).get(CUSTOMERS, **params), 422, field)
    assert body["detail"] == body["message"]


def test_individual_filters(api, admin_user, make_subscriber):
    zhang_wei = make_subscriber(name="张伟")
    zhang_min = make_subscriber(name="张敏")
    ouyang = make_subscriber(name="欧阳娜娜", id_number="61030219850505123X")
    smith = make_subscriber(name="John Smith", id_type="passport", id_number="E12345678")
    api.login(admin_user)

    assert ids(api.get(INDIVIDUALS, familyName="张")) == [str(zhang_wei.pk), str(zhang_min.pk)]
    assert ids(api.get(INDIVIDUALS, givenName="伟")) == [str(zhang_wei.pk)]
    assert ids(api.get(INDIVIDUALS, givenName="阳娜娜")) == [str(ouyang.pk)]
    assert ids(api.get(INDIVIDUALS, givenName="娜娜")) == []
    assert ids(api.get(INDIVIDUALS, familyName="Smith")) == [str(smith.pk)]
    assert ids(api.get(INDIVIDUALS, givenName="John")) == [str(smith.pk)]
    assert ids(api.get(INDIVIDUALS, fullName="张敏")) == [str(zhang_min.pk)]
    assert ids(api.get(INDIVIDUALS, familyName="张", givenName="敏")) == [str(zhang_min.pk)]
    assert len(api.get(INDIVIDUALS, status="validated").json()) == 4
    assert ids(api.get(INDIVIDUALS, status="deceased")) == []
    assert_tmf_error(api.get(INDIVIDUALS, status="asleep"), 422, "status")
    by_id_number = api.get(INDIVIDUALS, **{"individualIdentification.identificationId": "61030219850505123x"})
    assert ids(by_id_number) == [str(ouyang.pk)]
    assert ids(api.get(INDIVIDUALS, id=str(smith.pk))) == [str(smith.pk)]


def test_filter_values_with_regex_characters_are_literal(api, admin_user, make_subscriber):
    odd = make_subscriber(name="A.B C*D")
    make_subscriber(name="AxB CxD")
    api.login(admin_user)
    assert ids(api.get(INDIVIDUALS, givenName="A.B")) == [str(odd.pk)]
    assert ids(api.get(INDIVIDUALS, familyName="C*D")) == [str(odd.pk)]
