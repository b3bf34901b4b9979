"""KA-1 lifecycle (draft → previewed → approved by a second person → published, history kept) and the KA-2
what-if preview over the whole base: tier-move matrix by city and a masked sample in the caller's scope."""

from __future__ import annotations

import copy

from django.test import Client

from kefu.core.models import AuditEvent
from kefu.keyaccounts.models import RuleVersion, VersionStatus
from kefu.warehouse.loaders import load_from_database

from .conftest import MONTH

BASE = "/api/v1/keyaccounts"


def _draft(api, user, **tiers):
    published = RuleVersion.objects.get(status=VersionStatus.PUBLISHED)
    rules = copy.deepcopy(published.rules)
    rules["tiers"].update(tiers)
    response = api.login(user).post(f"{BASE}/rulesets/personal/versions", {"rules": rules, "note": "gold at 450"})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_threshold_change_is_previewed_approved_by_a_second_admin_and_published(
    api, admin_user, second_admin, billed, warehouse
):
    # 480 yuan a month: silver today; gold once the gold threshold drops to 450.
    xian = billed(48000, region="xian-yanta", vip_tier="silver")
    billed(48000, region="baoji-weibin", vip_tier="silver")
    billed(120000, region="xian-yanta", vip_tier="diamond")
    load_from_database()
    draft = _draft(api, admin_user, gold=450)
    assert draft["status"] == "draft" and draft["number"] == 2

    # Approval before a preview is refused.
    assert api.login(second_admin).post(f"{BASE}/versions/{draft['id']}/approve").status_code == 409

    preview = api.login(admin_user).post(f"{BASE}/versions/{draft['id']}/preview", {"month": "2026-10"}).json()
    assert preview["version"]["status"] == "previewed" and preview["month"] == "2026-10"
    assert preview["customers"] == 3 and preview["moved"] == 2 and preview["upgraded"] == 2
    assert {"from": "silver", "to": "gold", "customers": 2} in preview["matrix"]
    assert preview["before"]["silver"] == 2 and preview["after"]["gold"] == 2
    by_city = {row["city"]: row for row in preview["by_city"]}
    assert by_city["xian"]["moved"] == 1 and by_city["baoji"]["moved"] == 1
    assert [t["code"] for t in preview["tiers"]] == ["diamond", "gold", "silver", "high_value", "ordinary"]
    # The sample: every mover the administrator may see, MSISDN shown as the administrator may (unmask).
    assert {row["id"] for row in preview["sample"]} >= {xian.id}
    assert all(row["avg_spend_fen"] == 48000 for row in preview["sample"])

    # The drafter may not approve their own version.
    refused = api.login(admin_user).post(f"{BASE}/versions/{draft['id']}/approve")
    assert refused.status_code == 403 and refused.json()["field"] == "approved_by"
    approved = api.login(second_admin).post(f"{BASE}/versions/{draft['id']}/approve").json()
    assert approved["status"] == "approved" and approved["approved_by"]["username"] == "admin2"
    published = api.login(second_admin).post(f"{BASE}/versions/{draft['id']}/publish").json()
    assert published["status"] == "published"

    history = api.login(admin_user).get(f"{BASE}/rulesets/personal/versions").json()
    assert [(v["number"], v["status"]) for v in history] == [(2, "published"), (1, "retired")]
    assert RuleVersion.objects.filter(status=VersionStatus.PUBLISHED).count() == 1
    actions = set(AuditEvent.objects.filter(object_type="keyaccounts.ruleversion").values_list("action", flat=True))
    assert actions >= {"draft", "preview", "approve", "publish"}


def test_changing_a_previewed_version_sends_it_back_to_draft(api, admin_user, billed, warehouse):
    billed(48000)
    load_from_database()
    draft = _draft(api, admin_user, gold=450)
    api.post(f"{BASE}/versions/{draft['id']}/preview", {})
    rules = RuleVersion.objects.get(pk=draft["id"]).rules
    rules["tiers"]["gold"] = 460
    # The Api fixture speaks GET/POST/PATCH: PUT goes through a logged-in client.
    client = Client()
    client.force_login(admin_user)
    changed = client.put(f"{BASE}/versions/{draft['id']}", {"rules": rules}, content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["status"] == "draft" and changed.json()["preview"] is None
    assert changed.json()["rules"]["tiers"]["gold"] == 460


def test_the_sample_is_scoped_to_the_caller_and_masked(api, make_staff, admin_user, billed, warehouse):
    from django.contrib.auth.models import Permission

    billed(48000, region="xian-yanta", vip_tier="silver")
    baoji = billed(48000, region="baoji-weibin", vip_tier="silver")
    load_from_database()
    analyst = make_staff("ka.baoji", "leader", "baoji")
    analyst.user_permissions.add(*Permission.objects.filter(codename__in=["change_ruleversion", "view_ruleversion"]))
    draft = _draft(api, admin_user, gold=450)
    preview = api.login(analyst).post(f"{BASE}/versions/{draft['id']}/preview", {}).json()
    assert preview["moved"] == 2  # counted over the whole base
    assert [row["id"] for row in preview["sample"]] == [baoji.id]
    assert preview["sample"][0]["msisdn"] == f"{baoji.msisdn[:3]}****{baoji.msisdn[-4:]}"


def test_preview_needs_the_warehouse(api, admin_user, warehouse):
    draft = _draft(api, admin_user, gold=450)
    response = api.post(f"{BASE}/versions/{draft['id']}/preview", {})
    assert response.status_code == 409
    assert RuleVersion.objects.get(pk=draft["id"]).status == VersionStatus.DRAFT


def test_an_agent_may_not_draft_rules(api, agent_xian):
    response = api.login(agent_xian).post(f"{BASE}/rulesets/personal/versions", {})
    assert response.status_code == 403


def test_the_month_is_validated(api, admin_user, warehouse):
    draft = _draft(api, admin_user, gold=450)
    response = api.post(f"{BASE}/versions/{draft['id']}/preview", {"month": "2026/10"})
    assert response.status_code == 422 and response.json()["field"] == "month"
    assert MONTH.month == 10
