"""The shipped workflows and the category tree (WO-1, WO-2, WO-6), seeded after every migrate.

Seeding creates what is missing and never overwrites what an administrator has changed: a workflow
that exists keeps its versions, a category that exists keeps its names and workflow.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

_FRONT = ["agent", "clerk", "manager", "leader"]  # who accepts an order from a customer


def _step(code, name, name_en, roles=None, region="handling", hours=0, **flags):
    step = {"code": code, "name": name, "name_en": name_en}
    if flags.get("final"):
        step["final"] = True
        return step
    step.update({"roles": roles or [], "skill_group": "", "region": region, "hours": hours})
    step.update(flags)
    return step


def _go(code, name, name_en, source, target, required=(), optional=()):
    return {
        "code": code,
        "name": name,
        "name_en": name_en,
        "from": source,
        "to": target,
        "required": list(required),
        "optional": list(optional),
    }


COMPLAINT = {
    "initial": "accept",
    "steps": [
        _step("accept", "受理", "Accept", _FRONT, "accepting", 2),
        _step("dispatch", "派单", "Dispatch", ["backoffice", "leader"], "handling", 2),
        _step("handle", "处理", "Handle", ["backoffice"], "handling", 16, handling=True),
        _step("review", "审核", "Review", ["leader"], "handling", 4),
        _step("callback", "回访", "Callback", ["agent", "leader"], "handling", 8, callback=True),
        _step("closed", "结案", "Closed", final=True),
    ],
    "transitions": [
        _go("submit", "提交", "Submit", "accept", "dispatch"),
        _go("dispatch", "派发", "Dispatch", "dispatch", "handle", optional=["handler"]),
        _go(
            "transfer",
            "跨地市转派",
            "Transfer to another city",
            "dispatch",
            "dispatch",
            required=["handling_region", "reason"],
        ),
        _go("return", "退回受理", "Return to acceptance", "dispatch", "accept", required=["reason"]),
        _go("submit", "提交审核", "Submit for review", "handle", "review", required=["result", "root_cause"]),
        _go("return", "退回派单", "Return to dispatch", "handle", "dispatch", required=["reason"]),
        _go("approve", "审核通过", "Approve", "review", "callback", optional=["opinion"]),
        _go("return", "驳回重办", "Send back to the handler", "review", "handle", required=["reason"]),
        _go("close", "回访结案", "Close after callback", "callback", "closed", required=["satisfaction"]),
    ],
}

INQUIRY = {
    "initial": "accept",
    "steps": [
        _step("accept", "受理", "Accept", _FRONT, "accepting", 1),
        _step("answer", "答复", "Answer", ["backoffice"], "handling", 8, handling=True),
        _step("closed", "结案", "Closed", final=True),
    ],
    "transitions": [
        _go("close", "直接答复结案", "Answer and close", "accept", "closed", required=["result"]),
        _go("submit", "提交后台", "Pass to the back office", "accept", "answer"),
        _go("close", "答复结案", "Answer and close", "answer", "closed", required=["result"]),
        _go("return", "退回受理", "Return to acceptance", "answer", "accept", required=["reason"]),
    ],
}

SUGGESTION = {
    "initial": "accept",
    "steps": [
        _step("accept", "受理", "Accept", _FRONT, "accepting", 4),
        _step("evaluate", "评估", "Evaluate", ["backoffice", "leader"], "handling", 72, handling=True),
        _step("closed", "结案", "Closed", final=True),
    ],
    "transitions": [
        _go("submit", "提交评估", "Submit for evaluation", "accept", "evaluate"),
        _go("close", "采纳/答复结案", "Conclude and close", "evaluate", "closed", required=["result"]),
        _go("return", "退回受理", "Return to acceptance", "evaluate", "accept", required=["reason"]),
    ],
}

BUSINESS = {
    "initial": "accept",
    "steps": [
        _step("accept", "受理", "Accept", _FRONT, "accepting", 1),
        _step("execute", "执行", "Execute", ["backoffice"], "handling", 8, handling=True),
        _step("closed", "结案", "Closed", final=True),
    ],
    "transitions": [
        _go("submit", "提交执行", "Submit for execution", "accept", "execute"),
        _go("close", "办结", "Done", "execute", "closed", required=["result"]),
        _go("return", "退回受理", "Return to acceptance", "execute", "accept", required=["reason"]),
    ],
}

# Accepted where the customer is, handled by the home city, completed where the customer is (WO-6).
CROSS_REGION = {
    "initial": "accept",
    "steps": [
        _step("accept", "异地受理", "Accept (visited city)", _FRONT, "accepting", 1),
        _step("handle", "归属地处理", "Handle (home city)", ["backoffice"], "handling", 24, handling=True),
        _step("complete", "受理地办结", "Complete (visited city)", _FRONT, "accepting", 24),
        _step("closed", "结案", "Closed", final=True),
    ],
    "transitions": [
        _go("submit", "提交归属地", "Send to the home city", "accept", "handle"),
        _go("done", "处理完成", "Handled", "handle", "complete", required=["result"]),
        _go("return", "退回受理地", "Return to the visited city", "handle", "accept", required=["reason"]),
        _go("close", "办结", "Complete and close", "complete", "closed"),
        _go("return", "退回归属地", "Return to the home city", "complete", "handle", required=["reason"]),
    ],
}

WORKFLOWS = [
    ("complaint", "投诉处理流程", "Complaint handling", COMPLAINT),
    ("inquiry", "咨询查询流程", "Inquiry", INQUIRY),
    ("suggestion", "建议处理流程", "Suggestion", SUGGESTION),
    ("business", "业务受理流程", "Business acceptance", BUSINESS),
    ("cross-region", "异地业务流程", "Cross-region service", CROSS_REGION),
]

# code, 中文, English, kind, workflow (None: the parent's), requires a customer, children
CATEGORIES = [
    (
        "business",
        "业务受理",
        "Business acceptance",
        "business",
        "business",
        True,
        [
            ("business-service", "业务开通/关闭", "Open or close a service"),
            ("business-plan-change", "套餐变更", "Price plan change"),
            ("business-suspend-resume", "停机/复机", "Suspend or resume"),
            ("business-sim", "补换卡", "SIM replacement"),
            ("business-transfer", "过户", "Ownership transfer"),
            ("business-porting", "携号转网", "Number porting"),
        ],
    ),
    (
        "inquiry",
        "咨询/查询",
        "Inquiry",
        "inquiry",
        "inquiry",
        False,
        [
            ("inquiry-billing", "话费查询", "Bill and charges"),
            ("inquiry-business", "业务咨询", "Products and services"),
            ("inquiry-network", "网络覆盖咨询", "Network coverage"),
        ],
    ),
    (
        "complaint",
        "投诉",
        "Complaint",
        "complaint",
        "complaint",
        True,
        [
            ("complaint-network", "网络质量", "Network quality"),
            ("complaint-billing", "计费争议", "Billing dispute"),
            ("complaint-sp", "梦网/SP扣费", "SP charges"),
            ("complaint-service", "服务质量", "Service quality"),
            ("complaint-business", "业务办理", "Business handling"),
            ("complaint-other", "其他投诉", "Other complaint"),
            # Fault reports from other systems (TMF621 trouble tickets) may come without a customer.
            ("complaint-fault", "故障申告", "Fault report", None, False),
        ],
    ),
    ("suggestion", "建议", "Suggestion", "suggestion", "suggestion", False, []),
    (
        "cross-region",
        "异地服务",
        "Cross-region service",
        "cross_region",
        "cross-region",
        True,
        [
            ("cross-region-complaint", "异地投诉", "Cross-region complaint", "complaint"),
            ("cross-region-payment", "异地缴费", "Cross-region payment"),
            ("cross-region-sim", "异地补换卡", "Cross-region SIM replacement"),
            ("cross-region-points", "异地积分兑换", "Cross-region points redemption"),
            ("cross-region-backup-phone", "备机借用", "Backup phone loan"),
            ("cross-province-transfer", "跨省转网", "Cross-province number transfer"),
        ],
    ),
]


def seed(sender=None, using="default", **kwargs) -> None:
    """Create the shipped workflows (version 1, published) and categories that are missing."""
    from kefu.workorders.models import Category, Workflow, WorkflowVersion

    with transaction.atomic(using=using):
        workflows = {}
        for code, name, name_en, definition in WORKFLOWS:
            workflow, created = Workflow.objects.using(using).get_or_create(
                code=code, defaults={"name": name, "name_en": name_en}
            )
            if created or not workflow.versions.exists():
                WorkflowVersion.objects.using(using).create(
                    workflow=workflow,
                    number=1,
                    definition=definition,
                    note="shipped default",
                    published_at=timezone.now(),
                )
            workflows[code] = workflow
        for index, (code, name, name_en, kind, flow, requires, children) in enumerate(CATEGORIES):
            parent, _ = Category.objects.using(using).get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_en": name_en,
                    "kind": kind,
                    "workflow": workflows[flow],
                    "requires_customer": requires,
                    "sort": index,
                },
            )
            for child_index, child in enumerate(children):
                child_code, child_name, child_en = child[:3]
                own_flow = workflows[child[3]] if len(child) > 3 and child[3] else None
                child_requires = child[4] if len(child) > 4 else requires
                Category.objects.using(using).get_or_create(
                    code=child_code,
                    defaults={
                        "name": child_name,
                        "name_en": child_en,
                        "kind": kind,
                        "parent": parent,
                        "workflow": own_flow,
                        "requires_customer": child_requires,
                        "sort": child_index,
                    },
                )
