"""The work-order pages through Django's test client: the 360 create form, queues, the order page and its
actions, monitoring with bulk actions, the workflow editor and the notifications inbox. Each page: the
happy path, a refused action showing its error, and an order outside the caller's scope (404)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kefu.core.models import AuditEvent, Notification
from kefu.workorders import services
from kefu.workorders.models import Status, WorkflowVersion, WorkOrder
from tests.workorders.conftest import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def browse():
    """A logged-in test client per user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def _order_url(order, action=""):
    return f"/workorders/{order.number}/" + (f"act/{action}/" if action else "")


def _text(response) -> str:
    return response.content.decode()


def _panels(response) -> list[str]:
    return re.findall(r'data-panel="([^"]+)"', _text(response))


# -- creating from the customer 360 page ---------------------------------------------------------------


def test_the_360_page_creates_an_order_and_links_the_open_ones(browse, staff, xian_customer, clock):
    agent = browse(staff["agent.xian"])
    page = agent.get(f"/customers/{xian_customer.pk}/")
    assert page.status_code == 200
    assert 'action="/workorders/new/"' in _text(page) and 'accesskey="n"' in _text(page)
    response = agent.post(
        "/workorders/new/",
        {
            "customer_id": xian_customer.pk,
            "category": "complaint-billing",
            "title": "话费异常",
            "description": "本月多扣 30 元",
            "priority": "",
            "channel": "hotline",
            "then": "submit",
        },
    )
    order = WorkOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/workorders/{order.number}/"
    assert order.step == "dispatch" and order.customer == xian_customer and order.created_by == staff["agent.xian"]
    page = agent.get(f"/customers/{xian_customer.pk}/")
    assert f'href="/workorders/{order.number}/"' in _text(page)


def test_a_duplicate_is_confirmed_before_it_is_created(browse, staff, xian_customer, complaint):
    agent = browse(staff["agent.xian"])
    form = {
        "customer_id": xian_customer.pk,
        "category": "complaint-billing",
        "title": "又来电",
        "channel": "hotline",
        "then": "",
    }
    warned = agent.post("/workorders/new/", form)
    assert warned.status_code == 409
    body = _text(warned)
    assert 'id="duplicate-warning"' in body and complaint.number in body
    assert 'name="confirm_duplicate" value="on"' in body  # "create anyway"
    assert WorkOrder.objects.count() == 1
    created = agent.post("/workorders/new/", {**form, "confirm_duplicate": "on"})
    assert created.status_code == 302 and WorkOrder.objects.count() == 2


def test_bad_input_comes_back_on_the_360_page_and_writes_nothing(browse, staff, xian_customer, baoji_customer, clock):
    agent = browse(staff["agent.xian"])
    response = agent.post(
        "/workorders/new/",
        {"customer_id": xian_customer.pk, "category": "teleportation", "title": "", "channel": "hotline"},
    )
    assert response.status_code == 422
    assert 'class="error"' in _text(response) and '<details class="new-order" id="new-order" open>' in _text(response)
    assert not WorkOrder.objects.exists()
    # a customer of another city: the 360 page is not there for this agent
    other = agent.post(
        "/workorders/new/",
        {"customer_id": baoji_customer.pk, "category": "complaint-billing", "title": "x", "channel": "hotline"},
    )
    assert other.status_code == 404 and not WorkOrder.objects.exists()


# -- queues -----------------------------------------------------------------------------------------------


def test_my_orders_and_my_groups_orders_with_claim(browse, staff, complaint):
    assert complaint.number in _text(browse(staff["agent.xian"]).get("/workorders/"))
    services.transition(staff["agent.xian"], complaint.number, "submit", version=complaint.version)
    backoffice = browse(staff["backoffice.xian"])
    assert complaint.number not in _text(backoffice.get("/workorders/"))
    group = backoffice.get("/workorders/group/", {"step": "dispatch", "region": "xian"})
    assert group.status_code == 200 and complaint.number in _text(group)
    assert f'action="/workorders/{complaint.number}/act/claim/"' in _text(group)
    assert complaint.number not in _text(browse(staff["backoffice.baoji"]).get("/workorders/group/"))
    order = fresh(complaint)
    claimed = backoffice.post(_order_url(order, "claim"), {"version": order.version})
    assert claimed.status_code == 302 and fresh(order).handler == staff["backoffice.xian"]
    assert complaint.number in _text(backoffice.get("/workorders/"))
    # the second handler is too late: the page says who has it
    late = browse(staff["backoffice2.xian"]).post(_order_url(order, "claim"), {"version": fresh(order).version})
    assert late.status_code == 409 and "backoffice.xian" in _text(late)


# -- the order page -----------------------------------------------------------------------------------------


def test_the_order_page_offers_exactly_the_allowed_actions(browse, staff, complaint):
    page = browse(staff["agent.xian"]).get(_order_url(complaint))
    assert page.status_code == 200
    panels = _panels(page)
    assert "transition:submit" in panels and "withdraw" in panels and "reply" in panels and "note" in panels
    assert "callback" not in panels and "close" not in panels and "supervise" not in panels
    assert "reassign" not in panels
    assert f'name="version" value="{complaint.version}"' in _text(page)
    leader_panels = _panels(browse(staff["leader.xian"]).get(_order_url(complaint)))
    assert "supervise" in leader_panels and "reassign" in leader_panels
    # another city's staff: not found, and acting is not found either
    other = browse(staff["agent.baoji"])
    assert other.get(_order_url(complaint)).status_code == 404
    assert other.post(_order_url(complaint, "note"), {"text": "x"}).status_code == 404
    assert fresh(complaint).events.count() == 1


def test_a_transition_with_its_fields_and_the_refusals(browse, staff, complaint):
    agent = browse(staff["agent.xian"])
    moved = agent.post(_order_url(complaint, "transition"), {"transition": "submit", "version": complaint.version})
    assert moved.status_code == 302
    backoffice = browse(staff["backoffice.xian"])
    order = fresh(complaint)
    page = backoffice.get(_order_url(order))
    assert 'name="f_handler"' in _text(page) and ">backoffice2.xian<" in _text(page)  # dispatch to a handler
    dispatched = backoffice.post(
        _order_url(order, "transition"),
        {"transition": "dispatch", "version": order.version, "f_handler": "backoffice2.xian"},
    )
    assert dispatched.status_code == 302
    order = fresh(order)
    assert order.step == "handle" and order.handler == staff["backoffice2.xian"]
    handler = browse(staff["backoffice2.xian"])
    # a required field missing: 422, the form says which
    missing = handler.post(
        _order_url(order, "transition"), {"transition": "submit", "version": order.version, "f_result": "已退费"}
    )
    assert missing.status_code == 422 and 'data-panel="transition:submit"' in _text(missing)
    # a transition the step does not allow: 409 naming the allowed ones
    refused = handler.post(_order_url(order, "transition"), {"transition": "approve", "version": order.version})
    assert refused.status_code == 409
    assert 'id="page-error"' in _text(refused) and "submit" in _text(refused) and "return" in _text(refused)
    # a stale version: 409, the page says so and carries the current version now
    stale = handler.post(
        _order_url(order, "transition"),
        {"transition": "submit", "version": order.version - 1, "f_result": "已退费", "f_root_cause": "billing"},
    )
    assert stale.status_code == 409
    assert f'name="version" value="{order.version}"' in _text(stale)
    assert fresh(order).step == "handle" and fresh(order).version == order.version
    done = handler.post(
        _order_url(order, "transition"),
        {"transition": "submit", "version": order.version, "f_result": "已退费", "f_root_cause": "billing"},
    )
    assert done.status_code == 302 and fresh(order).step == "review" and fresh(order).root_cause == "billing"


def test_notes_and_replies_are_told_apart_on_the_timeline(browse, staff, complaint):
    agent = browse(staff["agent.xian"])
    assert agent.post(_order_url(complaint, "note"), {"text": "内部：核查扣费"}).status_code == 302
    assert agent.post(_order_url(complaint, "reply"), {"text": "您好，正在处理"}).status_code == 302
    empty = agent.post(_order_url(complaint, "reply"), {"text": ""})
    assert empty.status_code == 422
    page = _text(agent.get(_order_url(complaint)))
    note = re.search(r'<li class="ev ev-note" data-kind="note">(.*?)</li>', page, re.S).group(1)
    reply = re.search(r'<li class="ev ev-reply public" data-kind="reply">(.*?)</li>', page, re.S).group(1)
    assert "内部：核查扣费" in note and 'class="tag">' in note
    assert "您好，正在处理" in reply and 'class="tag public"' in reply
    assert fresh(complaint).first_responded_at is not None


def test_attachments_upload_download_and_refusal(browse, staff, complaint, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    agent = browse(staff["agent.xian"])
    upload = SimpleUploadedFile("bill.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    assert agent.post(_order_url(complaint, "attach"), {"file": upload}).status_code == 302
    attachment = complaint.attachments.get()
    download = agent.get(f"/workorders/{complaint.number}/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 test"
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    refused = agent.post(_order_url(complaint, "attach"), {"file": bad})
    assert refused.status_code == 422 and "exe" not in _text(refused).split('id="attachments"')[-1][:0]
    assert complaint.attachments.count() == 1
    other = browse(staff["agent.baoji"])
    assert other.get(f"/workorders/{complaint.number}/attachments/{attachment.pk}/").status_code == 404


def test_urge_supervise_suspend_resume_withdraw(browse, staff, complaint):
    agent, leader = browse(staff["agent.xian"]), browse(staff["leader.xian"])
    assert agent.post(_order_url(complaint, "urge"), {"text": "客户再次来电"}).status_code == 302
    assert agent.post(_order_url(complaint, "supervise"), {"text": "x"}).status_code == 403
    assert leader.post(_order_url(complaint, "supervise"), {"text": "今日办结"}).status_code == 302
    order = fresh(complaint)
    no_reason = agent.post(_order_url(order, "suspend"), {"version": order.version, "reason": ""})
    assert no_reason.status_code == 422 and fresh(order).status == Status.OPEN
    assert (
        agent.post(_order_url(order, "suspend"), {"version": order.version, "reason": "等客户资料"}).status_code == 302
    )
    order = fresh(order)
    assert order.status == Status.SUSPENDED and "resume" in _panels(agent.get(_order_url(order)))
    assert agent.post(_order_url(order, "resume"), {"version": order.version}).status_code == 302
    order = fresh(order)
    assert order.status == Status.OPEN
    assert (
        agent.post(_order_url(order, "withdraw"), {"version": order.version, "reason": "客户撤诉"}).status_code == 302
    )
    assert fresh(order).status == Status.WITHDRAWN
    assert AuditEvent.objects.filter(action__in=["urge", "supervise", "suspend", "resume", "withdraw"]).count() == 5


def _to_callback(complaint, staff):
    services.transition(staff["agent.xian"], complaint.number, "submit", version=complaint.version)
    services.transition(
        staff["backoffice.xian"],
        complaint.number,
        "dispatch",
        version=fresh(complaint).version,
        fields={"handler": "backoffice.xian"},
    )
    services.transition(
        staff["backoffice.xian"],
        complaint.number,
        "submit",
        version=fresh(complaint).version,
        fields={"result": "已退还 30 元", "root_cause": "billing"},
    )
    services.transition(staff["leader.xian"], complaint.number, "approve", version=fresh(complaint).version)
    return fresh(complaint)


def test_callback_with_four_levels_reopens_or_closes(browse, staff, complaint):
    order = _to_callback(complaint, staff)
    agent = browse(staff["agent.xian"])
    page = agent.get(_order_url(order))
    assert "callback" in _panels(page) and "transition:close" not in _panels(page)
    for level in ("very_satisfied", "satisfied", "neutral", "dissatisfied"):
        assert f'value="{level}"' in _text(page)
    reopened = agent.post(_order_url(order, "callback"), {"version": order.version, "satisfaction": "dissatisfied"})
    assert reopened.status_code == 302
    order = fresh(order)
    assert order.step == "handle" and order.reopen_count == 1
    order = _to_callback_again(order, staff)
    closed = agent.post(
        _order_url(order, "callback"), {"version": order.version, "satisfaction": "very_satisfied", "note": "满意"}
    )
    assert closed.status_code == 302
    order = fresh(order)
    assert order.status == Status.CLOSED and order.satisfaction == "very_satisfied"
    assert _panels(agent.get(_order_url(order))) == ["note"]  # a closed order only takes notes


def _to_callback_again(order, staff):
    services.transition(
        staff["backoffice.xian"],
        order.number,
        "submit",
        version=order.version,
        fields={"result": "再次核实并退费", "root_cause": "billing"},
    )
    services.transition(staff["leader.xian"], order.number, "approve", version=fresh(order).version)
    return fresh(order)


def test_the_close_form_of_an_inquiry(browse, staff, xian_customer, clock):
    order = services.create(
        staff["agent.xian"], category="inquiry-billing", title="查话费", channel="hotline", msisdn=xian_customer.msisdn
    )
    agent = browse(staff["agent.xian"])
    assert "close" in _panels(agent.get(_order_url(order)))
    no_result = agent.post(_order_url(order, "close"), {"version": order.version, "result": "", "root_cause": ""})
    assert no_result.status_code == 422 and fresh(order).status == Status.OPEN
    done = agent.post(
        _order_url(order, "close"), {"version": order.version, "result": "已告知账单明细", "root_cause": "customer"}
    )
    assert done.status_code == 302 and fresh(order).status == Status.CLOSED and fresh(order).root_cause == "customer"


# -- monitoring ---------------------------------------------------------------------------------------------


def test_monitoring_counts_lists_and_bulk_actions(browse, staff, xian_customer, baoji_customer, clock):
    orders = [
        services.create(
            staff["agent.xian"],
            category="complaint-billing",
            title=f"投诉 {i}",
            channel="hotline",
            msisdn=xian_customer.msisdn,
            confirm_duplicate=True,
            transition="submit",
        )
        for i in range(3)
    ]
    baoji = services.create(
        staff["agent.baoji"],
        category="complaint-network",
        title="信号",
        channel="hotline",
        msisdn=baoji_customer.msisdn,
    )
    assert browse(staff["agent.xian"]).get("/workorders/monitor/").status_code == 403
    leader = browse(staff["leader.xian"])
    page = leader.get("/workorders/monitor/")
    assert page.status_code == 200
    body = _text(page)
    assert re.search(r'data-key="complaint:dispatch"><td>派单.*?<td class="num">3</td>', body, re.S)
    assert re.search(r'id="by-region".*?data-key="xian">.*?<td class="num">3</td>', body, re.S)
    assert baoji.number not in body  # another city
    assert all(o.number in body.split('id="due-soon"')[1] for o in orders)  # the dispatch step: 2 h
    clock.advance(hours=3)
    assert orders[0].number in _text(leader.get("/workorders/monitor/")).split('id="overdue"')[1]
    numbers = [o.number for o in orders]
    refused = leader.post(
        "/workorders/monitor/bulk/", {"action": "reassign", "orders": numbers, "handler": "agent.yanan", "reason": ""}
    )
    assert refused.status_code == 422 and numbers[0] in _text(refused).split('id="bulk-error"')[1][:300]
    assert not WorkOrder.objects.filter(handler__username="agent.yanan").exists()
    done = leader.post(
        "/workorders/monitor/bulk/",
        {"action": "reassign", "orders": numbers, "handler": "backoffice2.xian", "reason": "均衡"},
    )
    assert done.status_code == 302
    assert set(WorkOrder.objects.filter(number__in=numbers).values_list("handler__username", flat=True)) == {
        "backoffice2.xian"
    }
    suspended = leader.post("/workorders/monitor/bulk/", {"action": "suspend", "orders": numbers, "reason": "割接"})
    assert suspended.status_code == 302
    assert set(WorkOrder.objects.filter(number__in=numbers).values_list("status", flat=True)) == {Status.SUSPENDED}
    # an order of another city: refused as unknown, nothing changed
    out = leader.post("/workorders/monitor/bulk/", {"action": "urge", "orders": [baoji.number], "reason": ""})
    assert out.status_code == 404 and not baoji.events.filter(kind="urge").exists()
    assert AuditEvent.objects.filter(action="reassign").count() == 3


# -- the workflow editor ------------------------------------------------------------------------------------


def _editor_post(definition_rows, steps, transitions, op="check", initial="accept"):
    data = {
        "op": op,
        "initial": initial,
        "note": "试行",
        "definition": "",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        "transitions-TOTAL_FORMS": str(len(transitions)),
        "transitions-INITIAL_FORMS": "0",
        "transitions-MIN_NUM_FORMS": "0",
        "transitions-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(steps):
        data.update({f"steps-{i}-{k}": v for k, v in row.items()})
    for i, row in enumerate(transitions):
        data.update({f"transitions-{i}-{k}": v for k, v in row.items()})
    return data


STEPS = [
    {"code": "accept", "name": "受理", "roles": "agent, clerk", "region": "accepting", "hours": "1"},
    {"code": "answer", "name": "答复", "roles": "backoffice", "region": "handling", "hours": "8", "handling": "on"},
    {"code": "closed", "name": "结案", "region": "handling", "final": "on"},
]
TRANSITIONS = [
    {"code": "submit", "name": "提交后台", "source": "accept", "target": "answer"},
    {"code": "close", "name": "答复结案", "source": "answer", "target": "closed", "required": "result"},
]


def test_workflow_pages_list_draw_check_save_and_publish(browse, staff, admin_user):
    assert browse(staff["leader.xian"]).get("/workorders/workflows/").status_code == 403
    admin = browse(admin_user)
    listing = admin.get("/workorders/workflows/")
    assert listing.status_code == 200 and 'data-code="complaint"' in _text(listing)
    shown = admin.get("/workorders/workflows/complaint/")
    assert shown.status_code == 200
    svg = _text(shown).split('id="diagram">')[1].split("</svg>")[0]
    assert svg.startswith("<svg") and 'data-step="callback"' in svg and "回访结案" in svg
    assert admin.get("/workorders/workflows/nothing/").status_code == 404
    editor = admin.get("/workorders/workflows/inquiry/edit/")
    assert editor.status_code == 200 and 'value="answer"' in _text(editor)

    # a step nobody reaches and a dead end: check says so, save refuses, nothing is written
    broken = STEPS + [{"code": "limbo", "name": "悬置", "roles": "backoffice", "region": "handling", "hours": "1"}]
    before = WorkflowVersion.objects.count()
    for op in ("check", "save"):
        response = admin.post("/workorders/workflows/inquiry/edit/", _editor_post(None, broken, TRANSITIONS, op))
        assert response.status_code == 422
        problems = _text(response).split('id="problems"')[1].split("</div>")[0]
        assert 'data-kind="unreachable"' in problems and 'data-kind="dead_end"' in problems and "limbo" in problems
    assert WorkflowVersion.objects.count() == before

    # a malformed row: the error is on the row
    bad = admin.post(
        "/workorders/workflows/inquiry/edit/",
        _editor_post(None, [{**STEPS[0], "code": "Accept!"}, *STEPS[1:]], TRANSITIONS),
    )
    assert bad.status_code == 422 and "lower-case" in _text(bad)

    checked = admin.post("/workorders/workflows/inquiry/edit/", _editor_post(None, STEPS, TRANSITIONS, "check"))
    assert checked.status_code == 200 and 'id="check-ok"' in _text(checked) and "<svg" in _text(checked)
    saved = admin.post("/workorders/workflows/inquiry/edit/", _editor_post(None, STEPS, TRANSITIONS, "save"))
    assert saved.status_code == 302
    draft = WorkflowVersion.objects.get(workflow__code="inquiry", published_at__isnull=True)
    assert saved["Location"].endswith(f"?v={draft.number}")
    assert [s["code"] for s in draft.definition["steps"]] == ["accept", "answer", "closed"]
    published = admin.post(f"/workorders/workflows/inquiry/versions/{draft.number}/publish/")
    assert published.status_code == 302
    assert services.published_version(draft.workflow).number == draft.number
    again = admin.post(f"/workorders/workflows/inquiry/versions/{draft.number}/publish/")
    assert again.status_code == 409


def test_the_json_definition_is_checked_too(browse, admin_user):
    admin = browse(admin_user)
    data = _editor_post(None, [], [], "check")
    data["definition"] = "{not json"
    assert admin.post("/workorders/workflows/inquiry/edit/", data).status_code == 422
    data["definition"] = '{"initial": "a", "steps": [{"code": "a", "name": "A", "roles": ["agent"]}]}'
    response = admin.post("/workorders/workflows/inquiry/edit/", data)
    assert response.status_code == 422 and 'data-kind="no_final"' in _text(response)


# -- the notifications inbox --------------------------------------------------------------------------------


def test_one_inbox_with_the_unread_count_in_the_top_bar(browse, staff, complaint, clock):
    services.urge(staff["leader.xian"], complaint.number, "客户第三次来电")
    Notification.objects.create(recipient=staff["agent.xian"], kind="tier_change", text="客户升级为钻石卡")
    agent = browse(staff["agent.xian"])
    page = agent.get("/workorders/")
    assert 'data-unread="2"' in _text(page)
    inbox = agent.get("/notifications/")
    assert inbox.status_code == 200
    body = _text(inbox)
    assert f'href="/workorders/{complaint.number}/"' in body and "客户升级为钻石卡" in body
    urge = Notification.objects.get(kind="urge")
    assert agent.post("/notifications/", {"ids": [urge.pk]}).status_code == 302
    assert 'data-unread="1"' in _text(agent.get("/notifications/"))
    # someone else's notification cannot be marked from here
    assert browse(staff["agent.baoji"]).post("/notifications/", {"all": "1"}).status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
    assert agent.post("/notifications/", {"all": "1"}).status_code == 302
    assert 'data-unread="0"' in _text(agent.get("/notifications/"))


def test_a_role_notification_reaches_the_role_in_its_region(browse, staff, complaint, clock):
    from kefu.workorders import worker

    services.transition(staff["agent.xian"], complaint.number, "submit", version=complaint.version)
    clock.advance(minutes=100)  # 80 % of the 2 h dispatch step: a warning to the back office of Xi'an
    worker.fire_due_timers()
    warning = Notification.objects.get(kind="warning")
    assert warning.recipient is None and warning.role == "backoffice"
    assert "时限" in warning.text or complaint.number in warning.text
    assert 'data-unread="1"' in _text(browse(staff["backoffice2.xian"]).get("/notifications/"))
    assert 'data-unread="0"' in _text(browse(staff["backoffice.baoji"]).get("/notifications/"))
    assert 'data-unread="0"' in _text(browse(staff["agent.xian"]).get("/notifications/"))
