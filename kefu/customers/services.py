"""Customer operations: scoped lookup and search, the 360 view, profile updates, closing and restoring.

Every read here is restricted to the caller's data scope; every change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters, prepared
from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.masking import may_unmask
from kefu.core.models import AccessAction, Region
from kefu.core.scope import scope_region_ids
from kefu.core.services import record_access, record_change
from kefu.core.validators import MSISDN_RULE, is_msisdn
from kefu.customers.models import (
    Bill,
    Channel,
    InfoUpdate,
    ProfileStore,
    Subscriber,
    SubscriberStatus,
    Subscription,
)

_ID_NUMBER = re.compile(r"^\d{15}$|^\d{17}[\dXx]$")
_DIGITS = re.compile(r"^\d{4,10}$")


def check_msisdn(msisdn: str, field_name: str = "msisdn") -> None:
    if not is_msisdn(msisdn):
        raise DomainError(ErrorCode.INVALID, str(MSISDN_RULE), field=field_name)


def scoped_subscribers(user) -> QuerySet[Subscriber]:
    return Subscriber.objects.restrict(user)


def get_on_net(user, msisdn: str) -> Subscriber:
    """The on-net subscriber with this number, if the caller's scope holds it; otherwise 404 without a hint."""
    check_msisdn(msisdn)
    # every screen pop starts here: the query is compiled once per data scope (kefu.core.prepared)
    found = prepared.fetch(
        ("customers.on_net", scope_region_ids(user)),
        lambda number: scoped_subscribers(user)
        .on_net()
        .select_related("price_plan", "region__parent", "customer_manager")
        .filter(msisdn=number)
        .order_by("pk")[:1],
        msisdn,
    )
    if not found:
        raise NotFound(_("No customer with this number."))
    return found[0]


def search(user, q: str = "", city: str = "", store: str = ProfileStore.ON_NET) -> QuerySet[Subscriber]:
    """Subscribers matching an MSISDN, an ID number or a name (prefix), within the caller's scope."""
    qs = scoped_subscribers(user).filter(store=store).select_related("region__parent", "price_plan")
    if city:
        city_region = Region.objects.filter(code=city).first()
        if city_region is None:
            raise DomainError(ErrorCode.INVALID, _("Unknown city code."), field="city")
        qs = qs.filter(region__path__startswith=city_region.path)
    q = q.strip()
    if q:
        if is_msisdn(q):
            qs = qs.filter(msisdn=q)
        elif _ID_NUMBER.match(q):
            qs = qs.filter(id_number=q.upper())
        elif _DIGITS.match(q):
            qs = qs.filter(Q(msisdn__startswith=q) | Q(msisdn__endswith=q))
        else:
            qs = qs.filter(name__startswith=q)
    return qs.order_by("msisdn", "id")


def log_search(user, q: str, count: int, channel: str = "web") -> None:
    record_access(user, AccessAction.SEARCH, detail=f"q={q} results={count}", channel=channel)


@dataclass
class Customer360:
    subscriber: Subscriber
    bills: list[Bill]
    subscriptions: list[Subscription]
    contacts: list
    open_work_orders: list = field(default_factory=list)

    @property
    def arrears_fen(self) -> int:
        return sum(bill.arrears_fen for bill in self.bills)


def get_by_id(user, subscriber_id: int) -> Subscriber:
    """A subscriber of the caller's scope by id (pages link by id so that masked numbers stay masked)."""
    subscriber = (
        scoped_subscribers(user)
        .select_related("price_plan", "region__parent", "customer_manager")
        .filter(pk=subscriber_id)
        .first()
    )
    if subscriber is None:
        raise NotFound(_("No customer with this id."))
    return subscriber


def view_by_id(user, subscriber_id: int, detail: str, channel: str = "api") -> Subscriber:
    """A subscriber of the caller's scope by id, for a read that shows its profile: the read is logged
    (an unmask when the caller sees personal data unmasked). Out of scope is the same 404 as unknown."""
    subscriber = get_by_id(user, subscriber_id)
    action = AccessAction.UNMASK if may_unmask(user) else AccessAction.VIEW
    record_access(user, action, subscriber, detail=detail, channel=channel)
    return subscriber


def filtered(user, condition: Q) -> QuerySet[Subscriber]:
    """Subscribers of the caller's scope (both profile stores) matching `condition`, in id order,
    with what the profile presenters read."""
    return (
        scoped_subscribers(user)
        .filter(condition)
        .select_related("price_plan", "region__parent__parent", "customer_manager")
        .order_by("id")
    )


def customer_360(user, subscriber: Subscriber, channel: str = "web") -> Customer360:
    """The agent's first screen (CUS-3): profile, bills, subscriptions, contacts, open orders; logged.

    `subscriber` comes from get_on_net or get_by_id, which have checked the caller's scope.
    """
    from kefu.contact.models import Contact

    # compiled once per process (kefu.core.prepared): SQL compilation was half of a screen pop
    bill_months = parameters.get("customers.recent_bill_months")
    bills = prepared.fetch(
        ("customers.360.bills", bill_months),
        lambda pk: Bill.objects.filter(subscriber_id=pk).order_by("-month")[:bill_months],
        subscriber.pk,
    )
    subscriptions = prepared.fetch(
        "customers.360.subscriptions",
        lambda pk: Subscription.objects.filter(subscriber_id=pk, ended_on__isnull=True).order_by("kind", "started_on"),
        subscriber.pk,
    )
    for row in (*bills, *subscriptions):
        row._state.fields_cache["subscriber"] = subscriber
    contact_count = parameters.get("customers.recent_contacts")
    contacts = prepared.fetch(
        ("customers.360.contacts", contact_count),
        lambda pk: Contact.objects.filter(subscriber_id=pk).select_related("agent").order_by("-started_at")[
            :contact_count
        ],
        subscriber.pk,
    )
    from kefu.workorders import presenters as order_presenters
    from kefu.workorders.services import open_orders_for_customer

    open_orders = [order_presenters.for_360(o) for o in open_orders_for_customer(user, subscriber)]
    action = AccessAction.UNMASK if may_unmask(user) else AccessAction.VIEW
    record_access(user, action, subscriber, detail="360", channel=channel)
    return Customer360(subscriber, bills, subscriptions, contacts, open_orders)


UPDATABLE_FIELDS = ("name", "address", "email", "birth_date", "contracted", "contract_end")


@transaction.atomic
def update_info(user, subscriber: Subscriber, changes: dict, channel: str) -> InfoUpdate:
    """Change profile fields, recording the channel and staff member (CUS-5)."""
    if channel not in Channel.values:
        raise DomainError(ErrorCode.INVALID, _("Unknown channel."), field="channel")
    unknown = sorted(set(changes) - set(UPDATABLE_FIELDS))
    if unknown:
        raise DomainError(
            ErrorCode.INVALID,
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(unknown)},
            field=unknown[0],
        )
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    diff = {}
    for name, value in changes.items():
        old = getattr(subscriber, name)
        if old != value:
            diff[name] = [_jsonable(old), _jsonable(value)]
            setattr(subscriber, name, value)
    try:
        subscriber.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field_name, messages = next(iter(exc.message_dict.items()))
        raise DomainError(ErrorCode.INVALID, " ".join(messages), field=field_name) from exc
    subscriber.save()
    record_change(user, subscriber, "update", diff)
    return InfoUpdate.objects.create(subscriber=subscriber, channel=channel, staff=user, changes=diff)


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def close(user, subscriber: Subscriber, channel: str, reason: str = "") -> Subscriber:
    """Close the subscription: the profile moves to the retained store with its history (CUS-4)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.store == ProfileStore.RETAINED:
        raise DomainError(ErrorCode.CONFLICT, _("This subscriber is already closed."))
    before = subscriber.status
    subscriber.status = SubscriberStatus.CLOSED
    subscriber.store = ProfileStore.RETAINED
    subscriber.closed_at = timezone.now()
    subscriber.save()
    diff = {"status": [before, subscriber.status], "store": [ProfileStore.ON_NET, ProfileStore.RETAINED]}
    record_change(user, subscriber, "close", {**diff, "reason": reason})
    InfoUpdate.objects.create(
        subscriber=subscriber, channel=channel, staff=user, action="close", changes=diff
    )
    return subscriber


@transaction.atomic
def restore(user, subscriber: Subscriber, channel: str, msisdn: str | None = None) -> Subscriber:
    """A returning customer: the retained profile comes back on-net with its history, on its old number
    unless that number has been given to someone else meanwhile (then a new one must be named)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.store != ProfileStore.RETAINED:
        raise DomainError(ErrorCode.CONFLICT, _("This subscriber is on the network already."))
    new_msisdn = msisdn or subscriber.msisdn
    check_msisdn(new_msisdn)
    if Subscriber.objects.on_net().filter(msisdn=new_msisdn).exists():
        raise DomainError(
            ErrorCode.CONFLICT,
            _("The number %(msisdn)s belongs to another subscriber now; name a new one.")
            % {"msisdn": new_msisdn},
            field="msisdn",
        )
    diff = {
        "status": [subscriber.status, SubscriberStatus.ACTIVE],
        "store": [ProfileStore.RETAINED, ProfileStore.ON_NET],
    }
    if new_msisdn != subscriber.msisdn:
        diff["msisdn"] = [subscriber.msisdn, new_msisdn]
    subscriber.msisdn = new_msisdn
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.store = ProfileStore.ON_NET
    subscriber.closed_at = None
    try:
        with transaction.atomic():
            subscriber.save()
    except IntegrityError as exc:  # a concurrent restore took the number first
        raise DomainError(ErrorCode.CONFLICT, _("The number was taken meanwhile."), field="msisdn") from exc
    record_change(user, subscriber, "restore", diff)
    InfoUpdate.objects.create(
        subscriber=subscriber, channel=channel, staff=user, action="restore", changes=diff
    )
    return subscriber


def get_retained(user, subscriber_id: int) -> Subscriber:
    subscriber = scoped_subscribers(user).filter(store=ProfileStore.RETAINED, pk=subscriber_id).first()
    if subscriber is None:
        raise NotFound(_("No retained profile with this id."))
    return subscriber
