"""TMF621 hub events: written to an outbox in the transaction of the change, delivered by the worker.

An event is a row (`OutboxEvent`) per listener, so it survives restarts: the worker claims due rows
(lease of LEASE seconds, so a worker that dies mid-delivery lets another retry), POSTs the JSON to
the listener's callback and marks it delivered on a 2xx answer; otherwise it tries again after a
back-off (30 s, 1 min, 2 min, … up to 1 h) and gives up after MAX_ATTEMPTS, keeping the row and its
error for the operators. Delivery is at least once: receivers de-duplicate by `eventId`.
A listener receives events only about orders its owner may see (data scope).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from kefu.core.cache import TTLCache
from kefu.core.masking import Masker
from kefu.core.scope import may_see_region
from kefu.workorders import clock
from kefu.workorders.models import Listener, OutboxEvent, WorkOrder

logger = logging.getLogger("kefu.workorders.events")

CREATE = "TroubleTicketCreateEvent"
STATUS_CHANGE = "TroubleTicketStatusChangeEvent"
RESOLVED = "TroubleTicketResolvedEvent"
ATTRIBUTE_CHANGE = "TroubleTicketAttributeValueChangeEvent"
EVENT_TYPES = (CREATE, STATUS_CHANGE, RESOLVED, ATTRIBUTE_CHANGE)

LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 12
TIMEOUT_SECONDS = 5.0


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def parse_query(query: str) -> list[str]:
    """The event types a hub query asks for (`eventType=A,B`); empty means every event."""
    wanted: list[str] = []
    for part in (query or "").split("&"):
        key, _sep, value = part.partition("=")
        if key.strip() in ("eventType", "eventType.in"):
            wanted += [v.strip() for v in value.split(",") if v.strip()]
    return wanted


def _visible(owner, order: WorkOrder) -> bool:
    return may_see_region(owner, order.handling_region_id) or may_see_region(owner, order.accepting_region_id)


# The hub's listeners per process for a couple of seconds: every change of every order asks for them,
# and they change a few times a year. Registering or removing one clears this process's copy at once;
# other processes see it within LISTENER_TTL seconds.
LISTENER_TTL = 2.0
_LISTENERS = TTLCache(ttl=LISTENER_TTL, max_entries=1)


def forget_listeners(**kwargs) -> None:
    _LISTENERS.clear()


post_save.connect(forget_listeners, sender=Listener, dispatch_uid="workorders.listeners.saved")
post_delete.connect(forget_listeners, sender=Listener, dispatch_uid="workorders.listeners.deleted")


def _listeners(order: WorkOrder) -> list[Listener]:
    """The hub's listeners, once per operation on an order (a creation that moves on at once publishes
    two events in one transaction)."""
    cached = getattr(order, "_hub_listeners", None)
    if cached is None:
        cached = _LISTENERS.get_or_compute("all", lambda: list(Listener.objects.select_related("owner__region")))
        order._hub_listeners = cached
    return cached


def publish(order: WorkOrder, event_type: str, now=None) -> int:
    """Queue an event about `order` for every listener that wants it (call inside the change's transaction)."""
    listeners = [
        listener
        for listener in _listeners(order)
        if (not listener.event_types or event_type in listener.event_types) and _visible(listener.owner, order)
    ]
    if not listeners:
        return 0
    from kefu.workorders.tmf_mapping import ticket

    now = now or clock.now()
    rows = []
    for listener in listeners:
        event_id = uuid.uuid4().hex
        payload = {
            "eventId": event_id,
            "eventTime": now.isoformat(),
            "eventType": event_type,
            "event": {"troubleTicket": ticket(order, Masker(listener.owner))},
        }
        # store exactly what will be sent (dates as text)
        payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
        rows.append(
            OutboxEvent(
                listener=listener,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
        )
    OutboxEvent.objects.bulk_create(rows)
    return len(rows)


def status_changed(order: WorkOrder, before: str | None, now=None) -> None:
    from kefu.workorders.tmf_mapping import tmf_status

    after = tmf_status(order)
    if before is None or before == after:
        return
    publish(order, STATUS_CHANGE, now)
    if after in ("resolved", "closed") and before not in ("resolved", "closed"):
        publish(order, RESOLVED, now)


def _claim(now, batch: int) -> list[OutboxEvent]:
    with transaction.atomic():
        pending = OutboxEvent.objects.filter(delivered_at__isnull=True, dead=False, next_attempt_at__lte=now)
        pending = pending.order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        claimed = list(pending.select_related("listener")[:batch])
        if claimed:
            OutboxEvent.objects.filter(pk__in=[e.pk for e in claimed]).update(next_attempt_at=now + LEASE)
    return claimed


def _post(url: str, payload: dict) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) checked
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, "not 2xx", response.headers, None)


def deliver_outbox(now=None, batch: int = 50) -> int:
    """Deliver the due events; returns how many were delivered."""
    now = now or clock.now()
    delivered = 0
    while True:
        claimed = _claim(now, batch)
        for event in claimed:
            try:
                _post(event.listener.callback, event.payload)
            except Exception as exc:  # any failure: try again later
                attempts = event.attempts + 1
                OutboxEvent.objects.filter(pk=event.pk).update(
                    attempts=attempts,
                    next_attempt_at=now + backoff(attempts),
                    dead=attempts >= MAX_ATTEMPTS,
                    last_error=f"{type(exc).__name__}: {exc}"[:300],
                )
                logger.info("event %s to %s failed (%s)", event.event_id, event.listener.callback, exc)
                continue
            OutboxEvent.objects.filter(pk=event.pk).update(attempts=event.attempts + 1, delivered_at=now)
            delivered += 1
        if len(claimed) < batch:
            return delivered
