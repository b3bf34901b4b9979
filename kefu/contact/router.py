"""The router's core: one routing engine per contact centre, its durable event log and its outbox.

`RouterCore.process(items)` applies CTI events (validated by kefu.contact.events and enriched by
kefu.contact.cti) to the engine and, in ONE database transaction, appends the engine's accepted
events to `RouterEvent`, writes the messages to publish to `RouterOutbox`, updates the call records
(`Contact`: offered, assigned, answered, ended; a transfer closes one leg and opens the next;
a callback creates an outbound task) and moves `RouterState` on (last event, input position, last
message). Only after the commit are the messages handed to the transport (the embedded hub or
Redis Streams, kefu.contact.transport), which deletes them from the outbox once published.

So the log is flushed before any decision is published, and a router killed at any point restarts
from the log: `load()` takes the latest checkpoint (kefu.routing.checkpoint), replays the events
logged after it, and publishes what is still in the outbox. After each checkpoint the log is pruned:
the last `keep_checkpoints` checkpoints stay, and the events before the oldest of them are deleted.
An input event is consumed exactly once
(its stream position is committed with its effects), each message is published at least once and
carries its `seq` (the Redis transport publishes each seq once). `RouterState` is also a fence: a
second router on the same centre fails its first commit (`Fenced`).

The engine's time is epoch seconds (never going back).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone, translation

from kefu.contact.events import refusal_message
from kefu.contact.models import (
    Agent,
    AgentSkill,
    Contact,
    ContactCentre,
    Direction,
    OutboundTask,
    Outcome,
    RouterCheckpoint,
    RouterEvent,
    RouterOutbox,
    RouterState,
    SkillGroup,
)
from kefu.core import parameters
from kefu.customers.models import Channel
from kefu.routing import checkpoint
from kefu.routing.decisions import Assignment, CallbackOffer, ConsultOffer, Overflowed, Queued, Refused
from kefu.routing.engine import Engine, event_from_dict, event_to_dict
from kefu.routing.states import AgentState, CallState

log = logging.getLogger("kefu.contact.router")

#: Checkpoints kept after each new one; the events logged before the oldest kept one are deleted.
KEEP_CHECKPOINTS = 3


class Fenced(RuntimeError):
    """Another router has written to this centre's log: this one must stop."""


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


def _weights() -> dict[str, float]:
    return {tier: float(w) for tier, w in parameters.get("contact.vip_weights").items()}


class RouterCore:
    """See the module docstring. Not thread-safe: one caller at a time (the service loop or the
    embedded hub's lock)."""

    def __init__(
        self, centre: ContactCentre, *, checkpoint_every: int | None = None, keep_checkpoints: int = KEEP_CHECKPOINTS
    ) -> None:
        self.centre = centre
        self.centre_id = centre.pk
        self.code = centre.code
        self.checkpoint_every = checkpoint_every
        self.keep_checkpoints = max(1, keep_checkpoints)
        self.agent_since: dict[str, float] = {}
        self._stats_cache: tuple[float, dict] | None = None
        self.load()

    @classmethod
    def for_code(cls, code: str, **options) -> RouterCore:
        return cls(ContactCentre.objects.get(code=code), **options)

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        """(Re)build the engine from the latest checkpoint and the events logged after it."""
        state, _ = RouterState.objects.get_or_create(centre_id=self.centre_id)
        self.log_seq = state.log_seq
        self.out_seq = state.out_seq
        self.input_position = state.input_position
        self.checkpoint_seq = state.checkpoint_seq
        self.fresh = state.log_seq == 0
        self.last_t = 0.0
        self.recent_finished: list = []
        engine: Engine | None = None
        start = 0
        cp = (
            RouterCheckpoint.objects.filter(centre_id=self.centre_id, log_seq__lte=state.log_seq)
            .order_by("-log_seq")
            .first()
        )
        if cp is not None:
            engine = checkpoint.load(cp.state["engine"])
            start = cp.log_seq
            self.last_t = cp.state["t"]
        replayed = 0
        events = (
            RouterEvent.objects.filter(centre_id=self.centre_id, seq__gt=start, seq__lte=state.log_seq)
            .order_by("seq")
            .values_list("data", flat=True)
        )
        for data in events.iterator(chunk_size=2000):
            event = event_from_dict(data)
            kind, t = event[0], event[1]
            if kind == "configure":
                _, _, weights, auto_answer, aht_alpha = event
                engine = Engine(weights, auto_answer=auto_answer, aht_alpha=aht_alpha)
                continue
            refused = [d for d in engine.apply(event) if isinstance(d, Refused)]
            if refused:
                raise RuntimeError(f"router log of {self.code} does not replay at {data}: {refused[0].reason}")
            if kind in ("end", "abandon", "callback"):
                self.recent_finished.append(event[2])
            self.last_t = max(self.last_t, t)
            replayed += 1
        if engine is None:
            engine = Engine(_weights(), auto_answer=self.centre.auto_answer)  # its log holds "configure"
        else:
            engine.log.clear()
        self.engine = engine
        self.users = dict(Agent.objects.filter(centre_id=self.centre_id).values_list("code", "user_id"))
        self.group_regions = dict(SkillGroup.objects.filter(centre_id=self.centre_id).values_list("code", "region_id"))
        now = time.time()
        for agent in engine.agents:
            self.agent_since.setdefault(agent, now)
        log.info(
            "router %s loaded: checkpoint at %s, %s events replayed, %s calls live",
            self.code,
            start,
            replayed,
            len(engine.calls),
        )

    # ------------------------------------------------------------------ processing

    def now(self) -> float:
        return max(time.time(), self.last_t)

    def process(self, items: Iterable[tuple[str | None, dict]], now: float | None = None) -> list[dict]:
        """Apply events (each with its input position or None) and the due timers; commit; return the
        messages to publish (already in the outbox, each with its seq)."""
        now = max(now if now is not None else time.time(), self.last_t)
        out: list[dict] = []
        try:
            with transaction.atomic():
                state = RouterState.objects.select_for_update().get(centre_id=self.centre_id)
                if state.log_seq != self.log_seq or state.out_seq != self.out_seq:
                    raise Fenced(f"the log of {self.code} is at {state.log_seq}, this router at {self.log_seq}")
                self._tick(now, out)
                position = self.input_position
                for item_position, event in items:
                    self._handle(event, now, out)
                    if item_position is not None:
                        position = item_position
                committed = self._commit(state, position, out, now)
        except Fenced:
            raise
        except Exception:
            log.exception("router %s: batch failed, reloading from the log", self.code)
            self.load()
            raise
        self._advance(*committed, now)
        return out

    def process_safely(self, items: list[tuple[str | None, dict]], now: float | None = None) -> list[dict]:
        """`process`, and when the batch fails, each event alone; an event that fails alone is
        refused (code `internal`) and skipped, so one bad event never stops the router."""
        try:
            return self.process(items, now)
        except Fenced:
            raise
        except Exception:
            pass
        out: list[dict] = []
        for item in items:
            try:
                out.extend(self.process([item], now))
            except Fenced:
                raise
            except Exception as exc:
                out.extend(self._skip(item, exc))
        return out

    def _skip(self, item: tuple[str | None, dict], exc: Exception) -> list[dict]:
        position, event = item
        message = self._refused_message(event, "internal", f"internal error: {exc.__class__.__name__}", None)
        now = self.now()
        with transaction.atomic():
            state = RouterState.objects.select_for_update().get(centre_id=self.centre_id)
            committed = self._commit(state, position or self.input_position, [message], now, events=False)
        self._advance(*committed, now)
        return [message]

    def _commit(
        self, state: RouterState, position: str, out: list[dict], now: float, events: bool = True
    ) -> tuple[int, int, str]:
        """Write the batch: the engine's new log entries, the messages (numbered), the state."""
        entries = self.engine.log if events else []
        seq = self.log_seq
        rows = []
        for entry in entries:
            seq += 1
            rows.append(RouterEvent(centre_id=self.centre_id, seq=seq, data=event_to_dict(entry)))
        RouterEvent.objects.bulk_create(rows)
        out_seq = self.out_seq
        outbox = []
        at = round(now, 3)
        for message in out:
            out_seq += 1
            message["seq"] = out_seq
            message["centre"] = self.code
            message.setdefault("at", at)
            outbox.append(RouterOutbox(centre_id=self.centre_id, seq=out_seq, data=message))
        RouterOutbox.objects.bulk_create(outbox)
        state.log_seq, state.out_seq, state.input_position = seq, out_seq, position
        state.save(update_fields=["log_seq", "out_seq", "input_position", "updated_at"])
        return seq, out_seq, position

    def _advance(self, log_seq: int, out_seq: int, position: str, now: float) -> None:
        self.engine.log.clear()
        self.log_seq, self.out_seq, self.input_position = log_seq, out_seq, position
        self.last_t = max(self.last_t, now)
        self.fresh = False

    # ------------------------------------------------------------------ one event

    def _handle(self, event: dict, now: float, out: list[dict]) -> None:
        kind = event["type"]
        engine = self.engine
        if kind == "config.reload":
            self._sync_groups(now)
            return
        watch: set = set()
        call_id = event.get("call")
        call = engine.calls.get(call_id) if call_id is not None else None
        if call is not None and call.agent is not None:
            watch.add(call.agent.id)
        consultant = call.consultant.id if call is not None and call.consultant is not None else None
        if consultant is not None:
            watch.add(consultant)
        if "agent" in event:
            watch.add(event["agent"])
        if event.get("to_agent"):
            watch.add(event["to_agent"])
        before = {a: self._agent_state(a) for a in watch}
        previous_agent = call.agent.id if call is not None and call.agent is not None else None

        if kind == "agent.login":
            skills = self._skills(event["agent"])
            if skills is None:
                decisions = [Refused("login", "unknown_agent", "no such agent (or not active)", event["agent"])]
            else:
                if any(g not in engine.groups for g in skills):
                    self._sync_groups(now)
                decisions = engine.agent_login(event["agent"], skills, now)
        elif kind == "agent.state":
            decisions = engine.agent_state(event["agent"], event["state"], now, event.get("reason"))
        elif kind == "agent.logout":
            decisions = engine.agent_logout(event["agent"], now)
        elif kind == "call.offered":
            if Contact.objects.filter(centre_id=self.centre_id, call_id=call_id).exists():
                decisions = [Refused("offer", "duplicate_call", "a call with this id was offered already", call_id)]
            else:
                decisions = engine.call_offered(
                    call_id, event["group"], now, event.get("tier") or "ordinary", event.get("manager")
                )
        elif kind == "call.answered":
            decisions = engine.call_answered(call_id, now)
        elif kind == "call.not_answered":
            decisions = engine.call_not_answered(call_id, now, event.get("reason") or "no answer")
        elif kind == "call.abandoned":
            decisions = engine.call_abandoned(call_id, now)
        elif kind == "call.callback_accepted":
            decisions = engine.callback_accepted(call_id, now)
        elif kind == "call.transferred":
            decisions = engine.call_transferred(
                call_id, now, event.get("to_group"), event.get("to_agent"), event.get("wrap_up", True)
            )
        elif kind == "call.ended":
            decisions = engine.call_ended(call_id, now, event.get("wrap_up", True))
        elif kind == "call.consult":
            decisions = engine.consult_started(call_id, now, event.get("to_group"), event.get("to_agent"))
        elif kind == "call.consult_answered":
            decisions = engine.consult_answered(call_id, now)
        elif kind == "call.conferenced":
            decisions = engine.consult_conferenced(call_id, now)
        elif kind == "call.consult_completed":
            decisions = engine.consult_completed(call_id, now, event.get("wrap_up", True))
        elif kind == "call.consult_cancelled":
            decisions = engine.consult_cancelled(call_id, now, event.get("reason") or "cancelled")
        else:
            decisions = [Refused(kind, "bad_value", f"unknown event type {kind!r}", None)]

        refused = [d for d in decisions if isinstance(d, Refused)]
        if refused:
            for d in refused:
                log.warning("router %s refused %s: %s (%s) %s", self.code, kind, d.code, d.reason, event)
                out.append(self._refused_message(event, d.code, d.reason, d.subject))
            return
        if kind == "call.consult_completed":
            before[consultant] = None  # still talking, now on the customer's call: its desk must hear it
        ref = event.get("ref")
        self._record(kind, event, now, previous_agent, out, ref, consultant)
        self._decisions(decisions, now, out, ref)
        for d in decisions:
            if isinstance(d, (Assignment, ConsultOffer)):
                watch.add(d.agent)
                before.setdefault(d.agent, AgentState.READY.value)
        if kind in ("call.ended", "call.abandoned", "call.callback_accepted"):
            self.recent_finished.append(call_id)
        self._agent_changes(before, watch, now, out, ref)

    def _agent_state(self, agent_id) -> str | None:
        agent = self.engine.agents.get(agent_id)
        return agent.state.value if agent is not None else None

    def _agent_changes(self, before: dict, watch: set, now: float, out: list[dict], ref) -> None:
        for agent_id in sorted(watch):
            agent = self.engine.agents.get(agent_id)
            if agent is None:
                continue
            if before.get(agent_id) != agent.state.value or agent.state is AgentState.NOT_READY:
                self.agent_since[agent_id] = now
                out.append(
                    {
                        "type": "agent.state",
                        "agent": agent_id,
                        "state": agent.state.value,
                        "reason": agent.reason,
                        "call": agent.call.id if agent.call is not None else None,
                        "consult": agent.consult.id if agent.consult is not None else None,
                        "ref": ref,
                    }
                )

    def _refused_message(self, event: dict, code: str, reason: str, subject) -> dict:
        with translation.override(settings.LANGUAGE_CODE):  # the site language, for logs and adapters
            message = refusal_message(code, reason)
        return {
            "type": "event.refused",
            "event": event.get("type"),
            "code": code,
            "reason": reason,
            "message": message,
            "subject": subject,
            "call": event.get("call"),
            "agent": event.get("agent"),
            "ref": event.get("ref"),
        }

    # ------------------------------------------------------------------ call records

    def _contact(self, call_id) -> Contact | None:
        return Contact.objects.filter(centre_id=self.centre_id, call_id=call_id).order_by("-leg").first()

    def _record(
        self, kind: str, event: dict, now: float, previous_agent, out: list[dict], ref, consultant=None
    ) -> None:
        """Write what an accepted call event means to the call record, and echo it out."""
        call_id = event.get("call")
        if kind == "call.offered":
            Contact.objects.create(
                centre_id=self.centre_id,
                call_id=call_id,
                leg=1,
                channel=Channel.HOTLINE,
                direction=Direction.INBOUND,
                started_at=_dt(now),
                caller=event.get("caller") or "",
                tier=event.get("tier") or "ordinary",
                subscriber_id=event.get("subscriber"),
                region_id=event.get("region") or self._group_region(event["group"]),
                queue=event["group"],
                outcome=Outcome.QUEUED,
                details={"ivr": event["ivr"]} if event.get("ivr") else None,
            )
            return
        if not kind.startswith("call."):
            return
        contact = self._contact(call_id)
        message = {"type": kind.replace("callback_accepted", "callback"), "call": call_id, "ref": ref}
        if previous_agent is not None:
            message["agent"] = previous_agent
        if consultant is not None:
            message["consultant"] = consultant
        if contact is not None:
            message["contact"] = contact.pk
        if contact is None:
            out.append(message)
            return
        at = _dt(now)
        if kind.startswith("call.con"):
            self._record_consult(kind, contact, at, previous_agent, consultant, message)
            out.append(message)
            return
        if kind == "call.answered":
            contact.answered_at = at
            contact.outcome = Outcome.ANSWERED
            contact.save(update_fields=["answered_at", "outcome"])
        elif kind == "call.not_answered":
            details = contact.details or {}
            details["not_answered"] = [*details.get("not_answered", []), previous_agent]
            contact.details = details
            contact.agent_id = None
            contact.save(update_fields=["details", "agent"])
        elif kind == "call.abandoned":
            contact.ended_at = at
            contact.outcome = Outcome.ABANDONED
            contact.save(update_fields=["ended_at", "outcome"])
        elif kind == "call.callback_accepted":
            contact.ended_at = at
            contact.outcome = Outcome.CALLBACK
            contact.save(update_fields=["ended_at", "outcome"])
            task = OutboundTask.objects.create(
                centre_id=self.centre_id,
                region_id=contact.region_id,
                group=SkillGroup.objects.filter(code=contact.queue).first(),
                subscriber_id=contact.subscriber_id,
                msisdn=contact.caller,
                source=OutboundTask.Source.CALLBACK,
                origin=contact,
                next_attempt_at=at,
                max_attempts=parameters.get("contact.outbound_max_attempts"),
            )
            message["task"] = task.pk
        elif kind == "call.ended":
            contact.ended_at = at
            fields = ["ended_at"]
            if contact.details and "consult" in contact.details:  # the consulted agent was released too
                contact.details.pop("consult")
                fields.append("details")
            if event.get("recording"):
                contact.recording_ref = event["recording"]
                fields.append("recording_ref")
            contact.save(update_fields=fields)
        elif kind == "call.transferred":
            contact.ended_at = at
            contact.outcome = Outcome.TRANSFERRED
            contact.save(update_fields=["ended_at", "outcome"])
            call = self.engine.calls[call_id]
            Contact.objects.create(
                centre_id=self.centre_id,
                call_id=call_id,
                leg=contact.leg + 1,
                channel=contact.channel,
                direction=contact.direction,
                started_at=at,
                caller=contact.caller,
                tier=contact.tier,
                subscriber_id=contact.subscriber_id,
                region_id=contact.region_id,
                queue=call.group.id,
                outcome=Outcome.QUEUED,
                details={"transferred_from": previous_agent},
            )
            message["to_group"] = event.get("to_group")
            message["to_agent"] = event.get("to_agent")
        out.append(message)

    def _record_consult(self, kind: str, contact: Contact, at: datetime, agent, consultant, message: dict) -> None:
        """A consult on the call record: who was consulted and how it ended; a completed consult (warm
        transfer) closes this leg and opens the consulted agent's, answered at once."""
        details = contact.details or {}
        if kind == "call.consult_answered":
            return
        if kind == "call.conferenced":
            details["conference"] = [*details.get("conference", []), consultant]
        elif kind == "call.consult_cancelled":
            details.pop("consult", None)
        elif kind == "call.consult_completed":
            details.pop("consult", None)
            contact.ended_at = at
            contact.outcome = Outcome.TRANSFERRED
            contact.details = details
            contact.save(update_fields=["ended_at", "outcome", "details"])
            leg = Contact.objects.create(
                centre_id=self.centre_id,
                call_id=contact.call_id,
                leg=contact.leg + 1,
                channel=contact.channel,
                direction=contact.direction,
                started_at=at,
                answered_at=at,
                caller=contact.caller,
                tier=contact.tier,
                subscriber_id=contact.subscriber_id,
                region_id=contact.region_id,
                queue=contact.queue,
                agent_id=self._user(consultant),
                outcome=Outcome.ANSWERED,
                details={"transferred_from": agent, "via": "consult"},
            )
            message.update(contact=leg.pk, previous_contact=contact.pk, to_agent=consultant)
            message["subscriber"] = contact.subscriber_id
            return
        contact.details = details
        contact.save(update_fields=["details"])

    def _decisions(self, decisions: list, now: float, out: list[dict], ref) -> None:
        for d in decisions:
            if isinstance(d, Assignment):
                contact = self._contact(d.call)
                message = {
                    "type": "call.assigned",
                    "call": d.call,
                    "agent": d.agent,
                    "group": d.group,
                    "waited": round(d.waited, 3),
                    "via": d.via,
                    "answered": d.answered,
                    "ref": ref,
                }
                if contact is not None:
                    contact.agent_id = self._user(d.agent)
                    details = contact.details or {}
                    details["served_by"] = d.group
                    details["via"] = d.via
                    contact.details = details
                    fields = ["agent", "details"]
                    if d.answered:
                        contact.answered_at = _dt(now)
                        contact.outcome = Outcome.ANSWERED
                        fields += ["answered_at", "outcome"]
                    contact.save(update_fields=fields)
                    message["contact"] = contact.pk
                    message["subscriber"] = contact.subscriber_id
                    message["tier"] = contact.tier
                out.append(message)
            elif isinstance(d, ConsultOffer):
                contact = self._contact(d.call)
                message = {
                    "type": "call.consult_offered",
                    "call": d.call,
                    "agent": d.from_agent,
                    "consultant": d.agent,
                    "group": d.group,
                    "answered": d.answered,
                    "ref": ref,
                }
                if contact is not None:
                    details = contact.details or {}
                    details["consult"] = {"agent": d.agent, "group": d.group}
                    details["consults"] = [*details.get("consults", []), d.agent]
                    contact.details = details
                    contact.save(update_fields=["details"])
                    message["contact"] = contact.pk
                    message["subscriber"] = contact.subscriber_id
                    message["tier"] = contact.tier
                out.append(message)
            elif isinstance(d, Queued):
                out.append(
                    {
                        "type": "call.queued",
                        "call": d.call,
                        "group": d.group,
                        "expected_wait": round(d.expected_wait, 1),
                        "ref": ref,
                    }
                )
            elif isinstance(d, Overflowed):
                out.append(
                    {
                        "type": "call.overflowed",
                        "call": d.call,
                        "group": d.from_group,
                        "to_groups": list(d.to_groups),
                        "ref": ref,
                    }
                )
            elif isinstance(d, CallbackOffer):
                out.append(
                    {
                        "type": "call.callback_offer",
                        "call": d.call,
                        "group": d.group,
                        "expected_wait": round(d.expected_wait, 1),
                        "ref": ref,
                    }
                )

    def _tick(self, now: float, out: list[dict]) -> None:
        due = self.engine.next_due()
        if due is not None and due <= now:
            before = {a: self._agent_state(a) for a in self.engine.agents}
            decisions = self.engine.tick(now)
            self._decisions(decisions, now, out, None)
            watch = {d.agent for d in decisions if isinstance(d, Assignment)}
            self._agent_changes(before, watch, now, out, None)

    # ------------------------------------------------------------------ configuration

    def _user(self, code) -> int | None:
        if code not in self.users:
            self.users = dict(Agent.objects.filter(centre_id=self.centre_id).values_list("code", "user_id"))
        return self.users.get(code)

    def _group_region(self, code) -> int:
        if code not in self.group_regions:
            self.group_regions = dict(
                SkillGroup.objects.filter(centre_id=self.centre_id).values_list("code", "region_id")
            )
        return self.group_regions.get(code) or self.centre.region_id

    def _skills(self, code) -> dict[str, int] | None:
        agent = Agent.objects.filter(centre_id=self.centre_id, code=code, active=True).first()
        if agent is None:
            return None
        self.users[code] = agent.user_id
        return dict(
            AgentSkill.objects.filter(agent=agent, group__active=True)
            .order_by("group__code")
            .values_list("group__code", "level")
        )

    def _sync_groups(self, now: float) -> None:
        """Define the centre's active skill groups in the engine, and change the rules that differ.
        New groups first (overflow targets must exist), then the rules."""
        engine = self.engine
        groups = list(
            SkillGroup.objects.filter(centre_id=self.centre_id, active=True)
            .prefetch_related("overflow_to")
            .order_by("code")
        )
        for g in groups:
            if g.code not in engine.groups:
                engine.define_group(g.code, now, aht=float(g.aht))
        for g in groups:
            current = engine.groups[g.code]
            overflow = tuple(sorted(x.code for x in g.overflow_to.all() if x.code in engine.groups))
            wanted = (
                overflow,
                float(g.overflow_after) if overflow and g.overflow_after is not None else None,
                float(g.callback_threshold) if g.callback_threshold is not None else None,
            )
            have = (
                tuple(sorted(x.id for x in current.overflow_to)),
                current.overflow_after,
                current.callback_threshold,
            )
            if wanted != have:
                refused = engine.define_group(
                    g.code,
                    now,
                    overflow_to=wanted[0] if wanted[1] is not None else (),
                    overflow_after=wanted[1],
                    callback_threshold=wanted[2],
                    aht=current.aht,
                )
                if refused:
                    log.warning("router %s: group %s not changed: %s", self.code, g.code, refused[0].reason)
        self.group_regions = {g.code: g.region_id for g in groups}

    # ------------------------------------------------------------------ checkpoints

    def maybe_checkpoint(self, force: bool = False) -> bool:
        """Write a checkpoint every `contact.checkpoint_events` events (and when the tier weights
        changed while no call is queued). Finished calls older than the previous checkpoint are
        forgotten by the engine (a duplicate offer is still refused: the call record exists)."""
        every = self.checkpoint_every or parameters.get("contact.checkpoint_events")
        weights = _weights()
        queued = any(c.state is CallState.QUEUED for c in self.engine.calls.values())
        change_weights = weights != self.engine.weights and not queued
        if not (force or change_weights or self.log_seq - self.checkpoint_seq >= every):
            return False
        keep = set(self.recent_finished)
        self.engine.finished = {k: v for k, v in self.engine.finished.items() if k in keep}
        data = checkpoint.dump(self.engine)
        if change_weights:
            log.info("router %s: tier weights changed to %s", self.code, weights)
            self.engine = checkpoint.load(data, weights=weights)
            data = checkpoint.dump(self.engine)
        with transaction.atomic():
            state = RouterState.objects.select_for_update().get(centre_id=self.centre_id)
            if state.log_seq != self.log_seq:
                raise Fenced(f"the log of {self.code} is at {state.log_seq}, this router at {self.log_seq}")
            RouterCheckpoint.objects.create(
                centre_id=self.centre_id, log_seq=self.log_seq, state={"engine": data, "t": self.last_t}
            )
            state.checkpoint_seq = self.log_seq
            state.save(update_fields=["checkpoint_seq", "updated_at"])
            prune(self.centre_id, self.keep_checkpoints)
        self.checkpoint_seq = self.log_seq
        self.recent_finished = []
        return True

    # ------------------------------------------------------------------ outbox

    def pending(self) -> list[dict]:
        """Messages committed and not yet published (after a restart)."""
        return list(
            RouterOutbox.objects.filter(centre_id=self.centre_id).order_by("seq").values_list("data", flat=True)
        )

    def published(self, upto_seq: int) -> None:
        RouterOutbox.objects.filter(centre_id=self.centre_id, seq__lte=upto_seq).delete()

    # ------------------------------------------------------------------ reading

    def snapshot(self, now: float | None = None) -> dict:
        """The live state for the wallboard and the desktops: queues, agents, today's figures."""
        now = now if now is not None else self.now()
        engine = self.engine
        by_state: dict[str, dict[str, int]] = {}
        agents = []
        names = dict(Agent.objects.filter(centre_id=self.centre_id).values_list("code", "user__first_name"))
        for agent in engine.agents.values():
            agents.append(
                {
                    "agent": agent.id,
                    "name": names.get(agent.id) or agent.id,
                    "state": agent.state.value,
                    "reason": agent.reason,
                    "call": agent.call.id if agent.call is not None else None,
                    "consult": agent.consult.id if agent.consult is not None else None,
                    "consult_state": agent.consult.consult_state if agent.consult is not None else None,
                    "since": round(self.agent_since.get(agent.id, now), 3),
                    "groups": sorted(agent.skills),
                }
            )
            if agent.state is AgentState.LOGGED_OUT:
                continue
            for group in agent.skills:
                counts = by_state.setdefault(group, {})
                counts[agent.state.value] = counts.get(agent.state.value, 0) + 1
        stats = self.today_stats()
        groups = []
        for code, group in engine.groups.items():
            groups.append(
                {
                    "group": code,
                    "waiting": group.live,
                    "longest_wait": round(engine.longest_wait(code, now), 1),
                    "expected_wait": round(engine.expected_wait(code), 1),
                    "agents": by_state.get(code, {}),
                    "today": stats.get(code, _empty_stats()),
                }
            )
        return {"type": "snapshot", "centre": self.code, "at": round(now, 3), "groups": groups, "agents": agents}

    def today_stats(self, max_age: float = 5.0) -> dict[str, dict]:
        """Per queue since local midnight: offered, answered, abandoned, answered in time, service level."""
        cached = self._stats_cache
        if cached is not None and time.monotonic() - cached[0] < max_age:
            return cached[1]
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        threshold = timedelta(seconds=self.centre.service_level_seconds)
        rows = (
            Contact.objects.filter(centre_id=self.centre_id, started_at__gte=midnight, direction=Direction.INBOUND)
            .annotate(wait=ExpressionWrapper(F("answered_at") - F("started_at"), output_field=DurationField()))
            .values("queue")
            .annotate(
                offered=Count("id"),
                answered=Count("id", filter=Q(answered_at__isnull=False)),
                abandoned=Count("id", filter=Q(outcome=Outcome.ABANDONED)),
                waiting=Count("id", filter=Q(outcome=Outcome.QUEUED, ended_at__isnull=True)),
                in_time=Count("id", filter=Q(answered_at__isnull=False, wait__lte=threshold)),
            )
        )
        stats = {}
        for row in rows:
            done = row["offered"] - row["waiting"]
            row["service_level"] = round(100.0 * row["in_time"] / done, 1) if done else None
            stats[row.pop("queue")] = row
        self._stats_cache = (time.monotonic(), stats)
        return stats


def prune(centre_id: int, keep: int = KEEP_CHECKPOINTS) -> tuple[int, int]:
    """Keep the `keep` latest checkpoints of a centre and delete the older ones, and the events logged
    at or before the oldest kept checkpoint: a restart needs only a checkpoint and the events after
    it, and every kept checkpoint still has those. Returns (checkpoints deleted, events deleted)."""
    keep = max(1, keep)
    with transaction.atomic():
        kept = list(
            RouterCheckpoint.objects.filter(centre_id=centre_id).order_by("-log_seq").values_list("pk", "log_seq")
        )
        old = [pk for pk, _seq in kept[keep:]]
        checkpoints = RouterCheckpoint.objects.filter(pk__in=old).delete()[0] if old else 0
        if not kept:
            return checkpoints, 0
        oldest_kept = kept[:keep][-1][1]
        events = RouterEvent.objects.filter(centre_id=centre_id, seq__lte=oldest_kept).delete()[0]
    if checkpoints or events:
        log.info("router log of centre %s pruned: %s checkpoints, %s events", centre_id, checkpoints, events)
    return checkpoints, events


def _empty_stats() -> dict:
    return {"offered": 0, "answered": 0, "abandoned": 0, "waiting": 0, "in_time": 0, "service_level": None}
