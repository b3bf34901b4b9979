"""The roster (CC-9): shifts of a centre's agents per day, edited by team leaders, copied from a day
or a week to another, and proposed by a greedy generator that covers the Erlang C requirement.

A shift is an agent's working time on one day (it may run past midnight) with its break minutes,
taken from the middle of the shift (as `services.rostered` counts them). Every change is validated
(the agent belongs to the centre, the shift lasts 1 to 12 hours, the break at most half of it, the
agent has no other shift at the same time), atomic and audited.

The generator (`propose`) is greedy, one shift at a time: the deficit per half-hour is the
requirement minus the agents already rostered; each step places a shift of the given length (its
break in the middle) at the start that covers the most remaining deficit, for an agent of the
centre who has no shift that day (skilled in the group when one is chosen, the agent codes in
order); it stops when no half-hour is short, or no agent is left, or no shift start helps. It is not
optimal (an integer program would be), but it is simple, fast and never leaves an interval short
while an agent is free and a shift start would cover it. Proposals are shown to the leader, who
accepts them (`accept`, validated like any shift) or not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.contact.models import Agent, ContactCentre, SkillGroup
from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.services import record_change, require
from kefu.workforce import services
from kefu.workforce.models import Shift

INTERVALS = services.INTERVALS
MIN_SHIFT = dt.timedelta(hours=1)
MAX_SHIFT = dt.timedelta(hours=12)


@dataclass
class Proposal:
    agent: str  # agent code
    start: dt.time
    end: dt.time
    break_minutes: int
    group: str | None = None

    def as_dict(self) -> dict:
        return {
            "agent": self.agent,
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "break_minutes": self.break_minutes,
            "group": self.group,
        }


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _bounds(day: dt.date, start: dt.time, end: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """A shift's start and end on `day`; an end at or before the start is on the next day."""
    starts_at = timezone.make_aware(dt.datetime.combine(day, start))
    ends_at = timezone.make_aware(dt.datetime.combine(day, end))
    if ends_at <= starts_at:
        ends_at = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), end))
    return starts_at, ends_at


def shifts_for_day(centre: ContactCentre, day: dt.date):
    start = _day_start(day)
    return (
        Shift.objects.filter(agent__centre=centre, starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))
        .select_related("agent", "agent__user", "group")
        .order_by("starts_at", "agent__code")
    )


def agents_of(centre: ContactCentre, group: SkillGroup | None = None):
    agents = Agent.objects.filter(centre=centre, active=True).select_related("user").order_by("code")
    if group is not None:
        agents = agents.filter(skills__group=group).distinct()
    return agents


def _validate(
    centre: ContactCentre,
    agent_code: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    break_minutes: int,
    group_code: str | None,
    exclude: int | None = None,
) -> tuple[Agent, SkillGroup | None]:
    agent = Agent.objects.filter(centre=centre, code=agent_code, active=True).first()
    if agent is None:
        raise DomainError(ErrorCode.INVALID, _("No such agent in this contact centre."), field="agent")
    group = None
    if group_code:
        group = SkillGroup.objects.filter(centre=centre, code=group_code, active=True).first()
        if group is None:
            raise DomainError(ErrorCode.INVALID, _("No such skill group."), field="group")
    length = ends_at - starts_at
    if not MIN_SHIFT <= length <= MAX_SHIFT:
        raise DomainError(ErrorCode.INVALID, _("A shift lasts from 1 to 12 hours."), field="end")
    if break_minutes < 0 or dt.timedelta(minutes=break_minutes) > length / 2:
        raise DomainError(ErrorCode.INVALID, _("The break is at most half of the shift."), field="break_minutes")
    overlapping = Shift.objects.filter(agent=agent, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude)
    if overlapping.exists():
        raise DomainError(ErrorCode.CONFLICT, _("The agent has another shift at that time."), field="start")
    return agent, group


def _shift_changes(shift: Shift) -> dict:
    return {
        "agent": shift.agent.code,
        "group": shift.group.code if shift.group else None,
        "starts_at": timezone.localtime(shift.starts_at).isoformat(),
        "ends_at": timezone.localtime(shift.ends_at).isoformat(),
        "break_minutes": shift.break_minutes,
    }


def save_shift(
    user,
    centre: ContactCentre,
    day: dt.date,
    agent_code: str,
    start: dt.time,
    end: dt.time,
    break_minutes: int = 0,
    group_code: str | None = None,
    shift: Shift | None = None,
) -> Shift:
    """Create a shift (or change `shift`) for an agent of the centre on `day`."""
    require(user, "workforce.change_shift" if shift else "workforce.add_shift")
    starts_at, ends_at = _bounds(day, start, end)
    with transaction.atomic():
        agent, group = _validate(
            centre, agent_code, starts_at, ends_at, break_minutes, group_code, shift.pk if shift else None
        )
        action = "update" if shift else "create"
        shift = shift or Shift()
        shift.agent, shift.group = agent, group
        shift.starts_at, shift.ends_at, shift.break_minutes = starts_at, ends_at, break_minutes
        shift.save()
        record_change(user, shift, action, _shift_changes(shift), region_id=centre.region_id)
    return shift


def get_shift(user, centre: ContactCentre, shift_id: int) -> Shift:
    shift = Shift.objects.select_related("agent", "group").filter(pk=shift_id, agent__centre=centre).first()
    if shift is None:
        raise NotFound(_("No such shift."))
    return shift


def delete_shift(user, centre: ContactCentre, shift_id: int) -> None:
    require(user, "workforce.delete_shift")
    with transaction.atomic():
        shift = get_shift(user, centre, shift_id)
        record_change(user, shift, "delete", _shift_changes(shift), region_id=centre.region_id)
        shift.delete()


def copy_days(user, centre: ContactCentre, source: dt.date, target: dt.date, days: int = 1) -> tuple[int, int]:
    """Copy the shifts of `days` days from `source` to the same days from `target` (a day: days=1; a week:
    days=7). A shift that would overlap one of the agent's shifts there is skipped. Returns (copied, skipped)."""
    require(user, "workforce.add_shift")
    if source == target:
        raise DomainError(ErrorCode.INVALID, _("Copy to another day."), field="target")
    if abs((target - source).days) < days:
        raise DomainError(ErrorCode.INVALID, _("The days copied to overlap the days copied from."), field="target")
    copied = skipped = 0
    with transaction.atomic():
        for offset in range(days):
            day = source + dt.timedelta(days=offset)
            for shift in shifts_for_day(centre, day):
                new_day = target + dt.timedelta(days=offset)
                local_start = timezone.localtime(shift.starts_at)
                starts_at = timezone.make_aware(dt.datetime.combine(new_day, local_start.time()))
                ends_at = starts_at + (shift.ends_at - shift.starts_at)
                if Shift.objects.filter(agent=shift.agent, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
                    skipped += 1
                    continue
                Shift.objects.create(
                    agent=shift.agent,
                    group=shift.group,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    break_minutes=shift.break_minutes,
                )
                copied += 1
        record_change(
            user,
            centre,
            "copy_roster",
            {"from": source.isoformat(), "to": target.isoformat(), "days": days, "copied": copied, "skipped": skipped},
            region_id=centre.region_id,
        )
    return copied, skipped


def coverage(start: int, length: int, break_minutes: int) -> np.ndarray:
    """The half-hours a shift starting at interval `start` covers (as `services.rostered` counts them)."""
    covered = np.zeros(INTERVALS)
    last = min(INTERVALS, start + length)
    covered[start:last] = 1
    off = min(last - start, int(np.ceil(break_minutes / 30)))
    middle = (start + last - off) // 2
    covered[middle : middle + off] = 0
    return covered


def propose(
    centre: ContactCentre,
    day: dt.date,
    group: SkillGroup | None = None,
    *,
    shift_hours: float = 8,
    break_minutes: int = 60,
    **targets,
) -> tuple[list[Proposal], np.ndarray, services.Staffing]:
    """Greedy shifts covering the requirement (see the module docstring). Returns the proposals, the
    deficit left per half-hour (> 0: still short) and the staffing they were computed from."""
    length = int(round(shift_hours * 2))
    if not 2 <= length <= 24:
        raise DomainError(ErrorCode.INVALID, _("A shift lasts from 1 to 12 hours."), field="shift_hours")
    if break_minutes < 0 or break_minutes > length * 15:
        raise DomainError(ErrorCode.INVALID, _("The break is at most half of the shift."), field="break_minutes")
    staffing = services.staffing(centre, day, group, **targets)
    deficit = staffing.required - staffing.rostered
    start = _day_start(day)
    busy = set(
        Shift.objects.filter(
            agent__centre=centre, starts_at__lt=start + dt.timedelta(days=1), ends_at__gt=start
        ).values_list("agent_id", flat=True)
    )
    free = [a for a in agents_of(centre, group) if a.pk not in busy]
    shapes = [coverage(s, length, break_minutes) for s in range(INTERVALS - length + 1)]
    proposals = []
    for agent in free:
        if not (deficit > 0).any():
            break
        gains = [float(np.minimum(shape, np.clip(deficit, 0, None)).sum()) for shape in shapes]
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        deficit = deficit - shapes[best]
        begins = dt.time(best // 2, (best % 2) * 30)
        end_interval = best + length
        ends = dt.time((end_interval // 2) % 24, (end_interval % 2) * 30)
        proposals.append(Proposal(agent.code, begins, ends, break_minutes, group.code if group else None))
    return proposals, deficit, staffing


def accept(user, centre: ContactCentre, day: dt.date, proposals: list[dict]) -> list[Shift]:
    """Create the proposed shifts the leader accepted, each validated like a shift entered by hand;
    one bad proposal refuses them all (nothing is created)."""
    require(user, "workforce.add_shift")
    if not isinstance(proposals, list) or not proposals:
        raise DomainError(ErrorCode.INVALID, _("No shifts to accept."), field="proposals")
    created = []
    with transaction.atomic():
        for item in proposals:
            try:
                start = dt.time.fromisoformat(item["start"])
                end = dt.time.fromisoformat(item["end"])
                agent, minutes, group = str(item["agent"]), int(item["break_minutes"]), item.get("group")
            except (KeyError, TypeError, ValueError):
                raise DomainError(ErrorCode.INVALID, _("A proposed shift is not valid."), field="proposals") from None
            created.append(save_shift(user, centre, day, agent, start, end, minutes, group))
    return created
