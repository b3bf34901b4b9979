"""The IVR (CC-2): menus are configuration (IvrMenu / IvrNode, edited in the back-office); a session
follows a caller through them by DTMF digits. Self-service nodes answer from the customer data (read
through the customer services within the IVR account's own data scope, each read logged); transfer
nodes hand the call to the router (a `call.offered` for the node's skill group); after the call a
satisfaction survey (1-5) is stored with the call's record.

Each step returns what the switch should play: `prompt` (text for TTS), `options` (digit, label),
`action` (`menu`, `say`, `transfer`, `hang_up`) and, for a transfer, the router's messages.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.contact import services
from kefu.contact.models import Contact, ContactCentre, IvrMenu, IvrNode, IvrNodeKind, IvrSession, SelfService
from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.models import AccessAction
from kefu.core.services import record_access
from kefu.customers.models import Subscriber

DIGITS = set("0123456789*#")


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


def _options(menu: IvrMenu, parent: IvrNode | None) -> list[dict]:
    nodes = IvrNode.objects.filter(menu=menu, parent=parent).order_by("digit")
    return [{"digit": n.digit, "label": n.label} for n in nodes]


def _menu_reply(session: IvrSession, prompt: str = "") -> dict:
    parent = session.node if session.node is not None and session.node.kind == IvrNodeKind.MENU else None
    options = _options(session.menu, parent)
    heading = prompt or (parent.prompt if parent is not None else session.menu.greeting)
    listing = " ".join(_("Press %(digit)s for %(label)s.") % o for o in options)
    return {
        "session": str(session.pk),
        "action": "menu",
        "prompt": " ".join(p for p in (heading, listing) if p),
        "options": options,
        "path": session.path,
    }


@transaction.atomic
def start(user, centre: ContactCentre, call_id: str, caller: str = "", menu_code: str = "") -> dict:
    """A caller reaches the IVR: the entry menu (or the one named) and the greeting."""
    menus = IvrMenu.objects.filter(centre=centre, active=True)
    menu = menus.filter(code=menu_code).first() if menu_code else menus.filter(entry=True).first()
    if menu is None:
        raise NotFound(_("No such IVR menu."))
    subscriber = None
    if caller:
        subscriber = Subscriber.objects.restrict(user).on_net().filter(msisdn=caller).first()
    session = IvrSession.objects.create(menu=menu, call_id=call_id[:64], caller=caller[:20], subscriber=subscriber)
    return _menu_reply(session)


def _session(session_id: str, user) -> IvrSession:
    session = (
        IvrSession.objects.select_for_update(of=("self",))
        .select_related("menu__centre", "node", "subscriber")
        .filter(pk=session_id)
        .first()
        if _is_uuid(session_id)
        else None
    )
    if session is None or not ContactCentre.objects.restrict(user).filter(pk=session.menu.centre_id).exists():
        raise NotFound(_("No such IVR session."))
    return session


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@transaction.atomic
def press(user, session_id: str, digits: str) -> dict:
    """The caller pressed `digits` (one or more, taken in order until one leaves the menu)."""
    session = _session(session_id, user)
    if session.state != IvrSession.State.ACTIVE:
        raise DomainError(ErrorCode.CONFLICT, _("This IVR session is over."), field="digits")
    if not digits or any(d not in DIGITS for d in digits):
        raise DomainError(ErrorCode.INVALID, _("Digits are 0-9, * and #."), field="digits")
    reply = None
    for digit in digits:
        reply = _press_one(user, session, digit)
        if reply["action"] != "menu":
            break
    session.save()
    return reply


def _press_one(user, session: IvrSession, digit: str) -> dict:
    parent = session.node if session.node is not None and session.node.kind == IvrNodeKind.MENU else None
    node = IvrNode.objects.filter(menu=session.menu, parent=parent, digit=digit).select_related("group").first()
    if node is None:
        return _menu_reply(session, _("That is not one of the choices."))
    session.path = [*session.path, digit]
    if node.kind == IvrNodeKind.MENU:
        session.node = node
        return _menu_reply(session)
    if node.kind == IvrNodeKind.REPEAT:
        return _menu_reply(session)
    if node.kind == IvrNodeKind.BACK:
        session.node = parent.parent if parent is not None else None
        return _menu_reply(session)
    if node.kind == IvrNodeKind.HANG_UP:
        session.state = IvrSession.State.ENDED
        return {
            "session": str(session.pk),
            "action": "hang_up",
            "prompt": node.prompt or _("Goodbye."),
            "path": session.path,
        }
    if node.kind == IvrNodeKind.SELF_SERVICE:
        answer = self_service(user, session, node.service)
        reply = _menu_reply(session, f"{answer} {node.prompt}".strip())
        reply["action"] = "say"
        reply["answer"] = answer
        return reply
    # transfer to a skill group: the router takes the call from here
    session.state = IvrSession.State.TRANSFERRED
    event = {"type": "call.offered", "call": session.call_id, "group": node.group.code}
    if session.caller:
        event["caller"] = session.caller
    result = services.submit_one(user, session.menu.centre, event)
    session.contact = (
        Contact.objects.filter(centre=session.menu.centre, call_id=session.call_id).order_by("-leg").first()
    )
    if session.contact is not None:
        details = session.contact.details or {}
        details["ivr"] = session.path
        session.contact.details = details
        session.contact.save(update_fields=["details"])
    return {
        "session": str(session.pk),
        "action": "transfer",
        "prompt": node.prompt or _("Please hold, an agent will answer shortly."),
        "group": node.group.code,
        "messages": result["messages"],
        "path": session.path,
    }


def self_service(user, session: IvrSession, service: str) -> str:
    """The answer of a self-service node from the caller's customer data (logged as a read)."""
    subscriber = session.subscriber
    if subscriber is None:
        return _("Your number is not recognised; please hold for an agent or call from your mobile.")
    subscriber = Subscriber.objects.restrict(user).filter(pk=subscriber.pk).first()
    if subscriber is None:
        return _("Your number is not recognised; please hold for an agent or call from your mobile.")
    record_access(user, AccessAction.VIEW, subscriber, detail=f"ivr {service}", channel="ivr")
    if service == SelfService.BALANCE:
        arrears = sum(b.arrears_fen for b in subscriber.bills.all())
        if arrears > 0:
            return _("You owe %(yuan)s yuan.") % {"yuan": _yuan(arrears)}
        return _("You owe nothing.")
    if service == SelfService.LAST_BILL:
        bill = subscriber.bills.order_by("-month").first()
        if bill is None:
            return _("You have no bill yet.")
        return _("Your bill of %(month)s is %(yuan)s yuan.") % {
            "month": bill.month.strftime("%Y-%m"),
            "yuan": _yuan(bill.total_fen),
        }
    if service == SelfService.POINTS:
        return _("You have %(points)d points.") % {"points": subscriber.points_balance}
    return _("Your service status: %(status)s.") % {"status": subscriber.get_status_display()}


@transaction.atomic
def survey(user, session_id: str, score: int) -> Contact:
    """The post-call satisfaction survey (1 very dissatisfied … 5 very satisfied), stored with the call."""
    session = _session(session_id, user)
    if not session.menu.survey:
        raise DomainError(ErrorCode.CONFLICT, _("This menu has no survey."), field="score")
    if type(score) is not int or not 1 <= score <= 5:
        raise DomainError(ErrorCode.INVALID, _("The score is a whole number from 1 to 5."), field="score")
    contact = (
        Contact.objects.select_for_update()
        .filter(centre=session.menu.centre, call_id=session.call_id)
        .order_by("-leg")
        .first()
    )
    if contact is None:
        raise DomainError(ErrorCode.CONFLICT, _("The call has no record yet."), field="score")
    contact.satisfaction = score
    contact.save(update_fields=["satisfaction"])
    session.state = IvrSession.State.ENDED
    session.save(update_fields=["state", "updated_at"])
    return contact
