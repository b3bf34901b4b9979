"""Reference data of the groups area, seeded after every migrate the way `kefu.workorders.defaults` seeds:
what is missing is created, what exists (an administrator may have changed it) is never overwritten.

- the `vpmn-renewal` workflow (the seed's renewal flow, GRP-4) and its work-order category;
- the VPMN problem categories for the call centre (VAS-3), under the shipped complaint and business kinds;
- the VPMN discount plans an application or agreement chooses from.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kefu.workorders.defaults import _go, _step

RENEWAL_WORKFLOW = "vpmn-renewal"
RENEWAL_CATEGORY = "vpmn-renewal"

# The steps in the seed's order (3.5 客户的续签工作); the last one is final. A step a grade skips
# (`groups.renewal_skip_steps`) is passed by the system along the transition to the next step of this chain.
RENEWAL_CHAIN = ("notify", "needs", "offer", "approval", "agreement", "members", "archived")

RENEWAL = {
    "initial": "notify",
    "steps": [
        _step("notify", "通知续约", "Notify the group", ["manager"], "handling", 24),
        _step("needs", "了解需求", "Understand the needs", ["manager"], "handling", 40),
        _step("offer", "制定新优惠方案", "New offer", ["manager"], "handling", 40),
        _step("approval", "续签审批", "Approval form", ["leader"], "handling", 16),
        _step("agreement", "领取协议", "Agreement collected", ["manager"], "handling", 16),
        _step("members", "号码清单确认", "Member list confirmed", ["manager"], "handling", 40),
        _step("archived", "签约归档", "Signed and archived", final=True),
    ],
    "transitions": [
        _go("next", "已通知", "Group notified", "notify", "needs", optional=["opinion"]),
        _go("next", "需求已了解", "Needs understood", "needs", "offer", optional=["opinion"]),
        _go(
            "submit",
            "提交审批",
            "Submit the approval form",
            "offer",
            "approval",
            required=["plan"],
            optional=["term_months", "opinion"],
        ),
        _go("next", "审批通过", "Approve", "approval", "agreement", optional=["opinion"]),
        _go("return", "退回方案", "Send back to the offer", "approval", "offer", required=["reason"]),
        _go("next", "协议已领取", "Agreement collected", "agreement", "members", optional=["opinion"]),
        _go("next", "签约归档", "Signed and archived", "members", "archived", optional=["opinion"]),
    ],
}

# code, 中文, English, parent (a shipped category), requires a customer
PROBLEM_CATEGORIES = [
    ("complaint-vpmn-short-number", "VPMN短号问题", "VPMN short-number problem", "complaint", True),
    ("complaint-vpmn-billing", "VPMN计费/优惠问题", "VPMN billing or discount problem", "complaint", True),
    ("business-vpmn-member", "VPMN成员增减", "VPMN member add or remove", "business", True),
]

# code, name, on-net discount %, monthly function fee per member (fen), description
DISCOUNT_PLANS = [
    ("vpmn-basic", "VPMN基本优惠", 50, 0, "网内通话五折"),
    ("vpmn-plus", "VPMN畅聊", 70, 300, "网内通话三折, 功能费每人每月3元"),
    ("vpmn-free", "VPMN网内免费", 100, 800, "网内通话免费, 功能费每人每月8元"),
]


def seed(sender=None, using="default", **kwargs) -> None:
    from kefu.groups.models import VpmnDiscountPlan
    from kefu.workorders import defaults
    from kefu.workorders.models import Category, CategoryKind, Workflow, WorkflowVersion

    defaults.seed(using=using)  # the parents of the problem categories
    with transaction.atomic(using=using):
        workflow, created = Workflow.objects.using(using).get_or_create(
            code=RENEWAL_WORKFLOW, defaults={"name": "VPMN集团续签流程", "name_en": "VPMN renewal"}
        )
        if created or not workflow.versions.exists():
            WorkflowVersion.objects.using(using).create(
                workflow=workflow, number=1, definition=RENEWAL, note="shipped default", published_at=timezone.now()
            )
        Category.objects.using(using).get_or_create(
            code=RENEWAL_CATEGORY,
            defaults={
                "name": "VPMN集团续签",
                "name_en": "VPMN agreement renewal",
                "kind": CategoryKind.BUSINESS,
                "workflow": workflow,
                "requires_customer": False,
                "sort": 90,
            },
        )
        for index, (code, name, name_en, parent_code, requires) in enumerate(PROBLEM_CATEGORIES):
            parent = Category.objects.using(using).filter(code=parent_code).first()
            if parent is None:
                continue
            Category.objects.using(using).get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_en": name_en,
                    "kind": parent.kind,
                    "parent": parent,
                    "requires_customer": requires,
                    "sort": 50 + index,
                },
            )
        for code, name, percent, fee, description in DISCOUNT_PLANS:
            VpmnDiscountPlan.objects.using(using).get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "onnet_discount_percent": percent,
                    "monthly_fee_fen": fee,
                    "description": description,
                },
            )
