"""Work orders over HTTP (`/api/v1/workorders`): thin — every rule is in kefu.workorders.services.

Updates carry the version the caller read (`"version": 7` in the body, If-Match style): a stale one is
409 with the current state. Errors are JSON problems `{"code", "reason", "detail", "field", …}`.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from kefu.core.api import Problem
from kefu.core.errors import NotFound
from kefu.core.masking import Masker
from kefu.customers.models import Channel
from kefu.workorders import presenters, services
from kefu.workorders.models import Satisfaction, Workflow
from kefu.workorders.workflow import DefinitionError, parse

router = Router(tags=["work orders"])

_ERRORS = {403: Problem, 404: Problem, 409: Problem, 422: Problem}


def _detail(request, order):
    """The order after a change, as the caller now sees it (a transfer may take it out of their scope)."""
    masker = Masker(request.user)
    try:
        fresh = services.get_order(request.user, order.number)
    except NotFound:
        return {**presenters.summary(order, masker), "visible": False}
    return presenters.detail(fresh, request.user, masker)


# -- reference data and workflows -------------------------------------------------------------


@router.get("/categories", response={200: list[dict[str, Any]]})
def list_categories(request):
    """The category tree (flat, in tree order) with each category's workflow."""
    out = []
    for c in services.categories():
        workflow = c.effective_workflow()
        out.append(
            {
                "code": c.code,
                "name": c.display_name,
                "kind": c.kind,
                "parent": c.parent.code if c.parent_id else None,
                "workflow": workflow.code if workflow else None,
                "requires_customer": c.requires_customer,
            }
        )
    return out


def _version(v) -> dict:
    definition = v.parsed()
    return {
        "number": v.number,
        "published": v.published,
        "published_at": v.published_at,
        "note": v.note,
        "definition": v.definition,
        "mermaid": definition.mermaid(),
    }


@router.get("/workflows", response={200: list[dict[str, Any]]})
def list_workflows(request):
    """Workflows with their latest published version number."""
    return [
        {
            "code": w.code,
            "name": w.display_name,
            "published_version": (v.number if (v := services.published_version(w)) else None),
            "has_draft": w.versions.filter(published_at__isnull=True).exists(),
        }
        for w in Workflow.objects.order_by("code")
    ]


class DefinitionIn(Schema):
    definition: dict[str, Any]
    note: str = Field("", max_length=200)


@router.post("/workflows/check", response={200: dict[str, Any], 422: Problem})
def check_workflow(request, payload: DefinitionIn):
    """Validate a definition without saving it: the problems (unreachable steps, dead ends, …) and its diagram."""
    _definition, problems = services.check_definition(payload.definition)
    try:
        mermaid = parse(payload.definition).mermaid()
    except DefinitionError:  # pragma: no cover - check_definition raised already
        mermaid = ""
    return {"problems": problems, "mermaid": mermaid}


@router.get("/workflows/{code}", response={200: dict[str, Any], 404: Problem})
def get_workflow(request, code: str):
    """A workflow with all its versions, each with its definition and a Mermaid diagram."""
    workflow = Workflow.objects.filter(code=code).first()
    if workflow is None:
        raise NotFound(_("No workflow with this code."))
    return {
        "code": workflow.code,
        "name": workflow.display_name,
        "versions": [_version(v) for v in workflow.versions.order_by("-number")],
    }


@router.post("/workflows/{code}/draft", response={200: dict[str, Any], **_ERRORS})
def save_draft(request, code: str, payload: DefinitionIn):
    """Create or replace the draft of the next version; refused (422) when it has problems."""
    return _version(services.save_draft(request.user, code, payload.definition, payload.note))


@router.post("/workflows/{code}/versions/{number}/publish", response={200: dict[str, Any], **_ERRORS})
def publish(request, code: str, number: int):
    """Publish a draft: new orders start on it, running orders keep theirs."""
    return _version(services.publish(request.user, code, number))


# -- monitoring (WO-4) --------------------------------------------------------------------------


@router.get("/monitor", response={200: dict[str, Any], 403: Problem})
def monitor(request):
    """Active orders of the caller's scope counted by step, region and handler, with overdue and due-soon."""
    return services.monitor(request.user)


class BulkIn(Schema):
    action: str = Field(..., description="reassign, urge, suspend, resume or withdraw")
    orders: list[str] = Field(..., min_length=1, max_length=500)
    handler: str | None = Field(None, description="reassign: the new handler, or null for the group queue")
    reason: str = Field("", max_length=500)


@router.post("/bulk", response={200: dict[str, Any], **_ERRORS})
def bulk(request, payload: BulkIn):
    """One monitoring action on many orders, all or none (the error names the order that failed)."""
    done = services.bulk(request.user, payload.action, payload.orders, handler=payload.handler, reason=payload.reason)
    masker = Masker(request.user)
    return {"count": len(done), "items": [presenters.summary(o, masker) for o in done]}


@router.get("/notifications", response={200: list[dict[str, Any]]})
def my_notifications(request, unread: bool = True):
    """The caller's warnings, escalations, urges and assignments."""
    return [
        {
            "id": n.pk,
            "kind": n.kind,
            "message": n.text,
            "order": n.subject,
            "link": n.link,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in services.notifications(request.user, unread)[:200]
    ]


class IdsIn(Schema):
    ids: list[int] = Field(..., max_length=500)


@router.post("/notifications/read", response={200: dict[str, int]})
def read_notifications(request, payload: IdsIn):
    return {"marked": services.mark_read(request.user, payload.ids)}


# -- orders -------------------------------------------------------------------------------------


class CreateIn(Schema):
    category: str = Field(..., max_length=40)
    title: str = Field(..., max_length=200)
    channel: Channel
    description: str = Field("", max_length=4000)
    msisdn: str | None = Field(None, max_length=11)
    customer_id: int | None = None
    priority: int | None = Field(None, ge=1, le=4)
    accepting_region: str | None = Field(None, max_length=40)
    handling_region: str | None = Field(None, max_length=40, description="only for orders without a customer")
    confirm_duplicate: bool = False
    transition: str | None = Field(None, max_length=40, description="move on at once, e.g. submit")
    fields: dict[str, Any] = Field(default_factory=dict)


@router.post("", response={201: dict[str, Any], **_ERRORS})
def create_order(request, payload: CreateIn):
    """Accept a new order. Same customer and category within 72 h: 409 `duplicate` listing the earlier
    numbers unless `confirm_duplicate`."""
    order = services.create(request.user, **payload.dict())
    # the creator always sees the new order (its accepting region is in their scope): no re-read
    return Status(201, presenters.detail(order, request.user, Masker(request.user), fresh=True))


class ListParams(Schema):
    status: str | None = None
    step: str | None = None
    category: str | None = Field(None, description="a category code; its sub-categories are included")
    handling_region: str | None = Field(None, description="a region code; its sub-regions are included")
    handler: str | None = Field(None, description="username")
    customer_id: int | None = None
    mine: bool = False
    group: bool = Field(False, description="my group's queue: open orders at steps my roles act at, in my scope")
    overdue: bool = False
    due_soon: bool = Field(False, description="due within workorders.due_soon_hours (2 h)")
    q: str = Field("", max_length=60, description="an order number or words of the title")
    offset: int = Field(0, ge=0)
    limit: int = Field(20, ge=1, le=200)


@router.get("", response={200: dict[str, Any], 403: Problem, 422: Problem})
def list_orders(request, params: Query[ListParams]):
    """Orders of the caller's scope, soonest step due time first."""
    filters = services.Filters(**params.dict(exclude={"offset", "limit"}))
    qs = services.search(request.user, filters)
    page = services.page(qs, params.offset, params.limit)
    masker = Masker(request.user)
    # a page that is not full tells the total without counting
    partial = len(page) < params.limit and (page or params.offset == 0)
    return {
        "count": params.offset + len(page) if partial else qs.count(),
        "offset": params.offset,
        "limit": params.limit,
        "items": [presenters.summary(o, masker) for o in page],
    }


@router.get("/{number}", response={200: dict[str, Any], 403: Problem, 404: Problem})
def get_order(request, number: str):
    """An order with its timeline, attachments and the actions the caller may take now."""
    order = services.get_order(request.user, number)
    return presenters.detail(order, request.user, Masker(request.user))


class TransitionIn(Schema):
    transition: str = Field(..., max_length=40)
    version: int
    fields: dict[str, Any] = Field(default_factory=dict)


@router.post("/{number}/transition", response={200: dict[str, Any], **_ERRORS})
def transition(request, number: str, payload: TransitionIn):
    """Take a transition of the current step (409 naming the allowed ones; 422 naming missing fields)."""
    order = services.transition(
        request.user, number, payload.transition, version=payload.version, fields=payload.fields
    )
    return _detail(request, order)


class VersionIn(Schema):
    version: int


class ReasonIn(Schema):
    version: int
    reason: str = Field("", max_length=500)


class ReassignIn(Schema):
    version: int
    handler: str | None = None
    reason: str = Field("", max_length=500)


class TextIn(Schema):
    text: str = Field("", max_length=4000)


@router.post("/{number}/claim", response={200: dict[str, Any], **_ERRORS})
def claim(request, number: str, payload: VersionIn):
    return _detail(request, services.claim(request.user, number, version=payload.version))


@router.post("/{number}/reassign", response={200: dict[str, Any], **_ERRORS})
def reassign(request, number: str, payload: ReassignIn):
    order = services.reassign(
        request.user, number, version=payload.version, handler=payload.handler, reason=payload.reason
    )
    return _detail(request, order)


@router.post("/{number}/urge", response={200: dict[str, Any], **_ERRORS})
def urge(request, number: str, payload: TextIn):
    """催办: remind the handler; the order itself does not change."""
    return _detail(request, services.urge(request.user, number, payload.text))


@router.post("/{number}/supervise", response={200: dict[str, Any], **_ERRORS})
def supervise(request, number: str, payload: TextIn):
    """督办 (team leaders): priority at least high, handler and leaders notified."""
    return _detail(request, services.supervise(request.user, number, payload.text))


@router.post("/{number}/suspend", response={200: dict[str, Any], **_ERRORS})
def suspend(request, number: str, payload: ReasonIn):
    return _detail(request, services.suspend(request.user, number, version=payload.version, reason=payload.reason))


@router.post("/{number}/resume", response={200: dict[str, Any], **_ERRORS})
def resume(request, number: str, payload: VersionIn):
    return _detail(request, services.resume(request.user, number, version=payload.version))


@router.post("/{number}/withdraw", response={200: dict[str, Any], **_ERRORS})
def withdraw(request, number: str, payload: ReasonIn):
    return _detail(request, services.withdraw(request.user, number, version=payload.version, reason=payload.reason))


@router.post("/{number}/notes", response={201: dict[str, Any], **_ERRORS})
def add_note(request, number: str, payload: TextIn):
    """An internal note: staff only, never shown to the customer."""
    return Status(201, presenters.event(services.add_note(request.user, number, payload.text)))


@router.post("/{number}/replies", response={201: dict[str, Any], **_ERRORS})
def add_reply(request, number: str, payload: TextIn):
    """A reply to the customer (the first one is the first response)."""
    return Status(201, presenters.event(services.add_note(request.user, number, payload.text, reply=True)))


@router.post("/{number}/attachments", response={201: dict[str, Any], **_ERRORS})
def upload(request, number: str, file: File[UploadedFile]):
    """Attach a file (multipart field `file`); type and size limits are parameters."""
    return Status(201, presenters.attachment(services.add_attachment(request.user, number, file)))


@router.get("/{number}/attachments/{attachment_id}", response={200: None, 403: Problem, 404: Problem})
def download(request, number: str, attachment_id: int):
    attachment = services.get_attachment(request.user, number, attachment_id)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = f'attachment; filename="{attachment.name}"'
    return response


class MergeIn(Schema):
    version: int
    orders: list[str] = Field(..., min_length=1, max_length=50)
    reason: str = Field("", max_length=500)


@router.post("/{number}/merge", response={200: dict[str, Any], **_ERRORS})
def merge(request, number: str, payload: MergeIn):
    """Merge the named orders (same customer) into this one; they close pointing here."""
    order = services.merge(request.user, number, payload.orders, version=payload.version, reason=payload.reason)
    return _detail(request, order)


class SplitPart(Schema):
    category: str = Field(..., max_length=40)
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=4000)


class SplitIn(Schema):
    version: int
    parts: list[SplitPart] = Field(..., min_length=1, max_length=20)


@router.post("/{number}/split", response={201: dict[str, Any], **_ERRORS})
def split(request, number: str, payload: SplitIn):
    """Split requests out into new orders of the same customer."""
    created = services.split(request.user, number, [p.dict() for p in payload.parts], version=payload.version)
    masker = Masker(request.user)
    return Status(201, {"items": [presenters.summary(o, masker) for o in created]})


class CloseIn(Schema):
    version: int
    result: str = Field(..., max_length=4000)
    root_cause: str = Field("", max_length=20)
    transition: str = Field("", max_length=40, description="when the step has several ways to close")


@router.post("/{number}/close", response={200: dict[str, Any], **_ERRORS})
def close(request, number: str, payload: CloseIn):
    """Close with a result and a root cause (the step's transition into a final step)."""
    order = services.close(
        request.user,
        number,
        version=payload.version,
        result=payload.result,
        root_cause=payload.root_cause,
        transition_code=payload.transition,
    )
    return _detail(request, order)


class CallbackIn(Schema):
    version: int
    satisfaction: Satisfaction
    note: str = Field("", max_length=4000)


@router.post("/{number}/callback", response={200: dict[str, Any], **_ERRORS})
def callback(request, number: str, payload: CallbackIn):
    """回访: very_satisfied / satisfied / neutral close the order; dissatisfied re-opens it to handling."""
    order = services.callback(
        request.user, number, version=payload.version, satisfaction=payload.satisfaction, note=payload.note
    )
    return _detail(request, order)
