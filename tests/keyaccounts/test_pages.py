"""The rules page (issue 5 item 3, page): drafting refuses bad thresholds with the reason, nothing written;
the page and its actions are for administrators only."""

from __future__ import annotations

from django.test import Client

from kefu.keyaccounts.models import RuleVersion


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_unreachable_threshold_is_refused_with_the_field_and_nothing_is_drafted(admin_user):
    before = RuleVersion.objects.count()
    response = _client(admin_user).post(
        "/keyaccounts/rules/", {"diamond": "1000", "gold": "200", "silver": "300", "high_value": "150"}
    )
    assert response.status_code == 422
    assert 'data-field="rules.tiers.' in response.content.decode()
    assert RuleVersion.objects.count() == before
    bad = _client(admin_user).post(
        "/keyaccounts/rules/", {"diamond": "lots", "gold": "500", "silver": "300", "high_value": "150"}
    )
    assert bad.status_code == 422 and 'data-field="rules.tiers.diamond"' in bad.content.decode()


def test_a_draft_from_the_form_and_its_page_with_the_chart(admin_user, warehouse):
    response = _client(admin_user).post(
        "/keyaccounts/rules/", {"diamond": "1000", "gold": "450", "silver": "300", "high_value": "150", "note": "x"}
    )
    assert response.status_code == 302
    version = RuleVersion.objects.get(number=2)
    assert version.rules["tiers"]["gold"] == 450 and version.status == "draft"
    page = _client(admin_user).get(response["Location"])
    assert page.status_code == 200 and 'data-action="preview"' in page.content.decode()
    # previewing with an empty warehouse: a 409 shown on the page, the version unchanged
    refused = _client(admin_user).post(f"/keyaccounts/rules/{version.pk}/preview/", {"month": ""})
    assert refused.status_code == 409
    version.refresh_from_db()
    assert version.status == "draft"


def test_agents_do_not_see_the_rules_page(agent_xian):
    assert _client(agent_xian).get("/keyaccounts/rules/").status_code == 403
    assert _client(agent_xian).post("/keyaccounts/grading/", {"month": "2026-10"}).status_code == 403
