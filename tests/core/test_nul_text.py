"""Text with a NUL character is refused before any view reads it, everywhere: PostgreSQL text cannot hold one, so
a search, a TMF filter, a form or a JSON body carrying one would otherwise fail with a server error."""

from __future__ import annotations

import json

import pytest

from kefu.customers.models import Subscriber


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/customers?q=a%00b", "q"),
        ("/api/v1/workorders?q=%00", "q"),
        ("/api/v1/groups?q=a%00b", "q"),
    ],
)
def test_an_api_query_with_nul_is_422_naming_the_parameter(api, admin_user, path, field):
    response = api.login(admin_user).get(path)
    assert response.status_code == 422
    assert response.json()["field"] == field and response.json()["code"] == "invalid"


def test_a_tmf_filter_with_nul_answers_in_the_tmf_error_shape(api, admin_user):
    response = api.login(admin_user).get("/tmf-api/customerManagement/v4/customer?name=a%00b")
    assert response.status_code == 422
    problem = response.json()
    assert problem["@type"] == "Error" and problem["status"] == "422" and problem["field"] == "name"


def test_a_json_body_with_nul_is_refused_and_changes_nothing(api, admin_user, make_subscriber):
    subscriber = make_subscriber(name="张伟")
    response = api.login(admin_user).patch(
        f"/api/v1/customers/{subscriber.msisdn}", {"name": "张\x00伟", "channel": "hotline"}
    )
    assert response.status_code == 422 and response.json()["field"] == "name"
    assert Subscriber.objects.get(pk=subscriber.pk).name == "张伟"


def test_a_page_with_nul_says_why(client, agent_xian):
    client.force_login(agent_xian)
    response = client.get("/customers/", {"q": "a\x00b"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and 'data-error-for="q"' in html


def test_text_without_nul_passes(api, admin_user, make_subscriber):
    subscriber = make_subscriber(name="王芳")
    response = api.login(admin_user).get(f"/api/v1/customers?q={subscriber.msisdn}")
    assert response.status_code == 200
    assert json.dumps(response.json(), ensure_ascii=False).count("王芳") >= 1
