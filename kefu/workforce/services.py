"""Staffing for the workforce page (CC-9): the calls of past weeks from the call records, the weekday
forecast, Erlang C agents required per half-hour, and the roster's coverage against it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F
from django.utils import timezone

from kefu.contact.models import Contact, ContactCentre, Direction, SkillGroup
from kefu.workforce import erlang
from kefu.workforce.models import Shift

INTERVALS = 48


@dataclass
class Staffing:
    day: dt.date
    group: SkillGroup | None
    forecast: np.ndarray  # calls per half-hour
    aht: float
    required: np.ndarray  # agents per half-hour
    rostered: np.ndarray  # agents on shift per half-hour
    service_level: np.ndarray  # what the requirement achieves
    weeks_used: int

    @property
    def gap(self) -> np.ndarray:
        return self.rostered - self.required


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def history(centre: ContactCentre, group: SkillGroup | None, day: dt.date, weeks: int) -> dict[dt.date, np.ndarray]:
    """Inbound calls offered per half-hour on the same weekday of the `weeks` weeks before `day`."""
    out = {}
    for k in range(1, weeks + 1):
        past = day - dt.timedelta(days=7 * k)
        start = _day_start(past)
        qs = Contact.objects.filter(
            centre=centre,
            direction=Direction.INBOUND,
            leg=1,
            started_at__gte=start,
            started_at__lt=start + dt.timedelta(days=1),
        )
        if group is not None:
            qs = qs.filter(queue=group.code)
        counts = np.zeros(INTERVALS)
        found = False
        for started in qs.values_list("started_at", flat=True):
            local = timezone.localtime(started)
            counts[(local.hour * 60 + local.minute) // 30] += 1
            found = True
        if found:
            out[past] = counts
    return out


def handle_time(centre: ContactCentre, group: SkillGroup | None, day: dt.date, weeks: int) -> float:
    """Average talk time of the answered calls in the weeks before `day` (the group's AHT setting if none)."""
    qs = Contact.objects.filter(
        centre=centre,
        direction=Direction.INBOUND,
        answered_at__isnull=False,
        ended_at__isnull=False,
        started_at__gte=_day_start(day - dt.timedelta(days=7 * weeks)),
        started_at__lt=_day_start(day),
    )
    if group is not None:
        qs = qs.filter(queue=group.code)
    talk = qs.aggregate(
        n=Count("id"), avg=Avg(ExpressionWrapper(F("ended_at") - F("answered_at"), output_field=DurationField()))
    )
    if talk["n"] and talk["avg"]:
        return max(1.0, talk["avg"].total_seconds())
    return float(group.aht) if group is not None else 180.0


def rostered(centre: ContactCentre, group: SkillGroup | None, day: dt.date) -> np.ndarray:
    """Agents on shift in each half-hour of `day` (a shift counts for the half-hours it fully covers;
    its break is taken off its middle half-hours)."""
    start = _day_start(day)
    end = start + dt.timedelta(days=1)
    shifts = Shift.objects.filter(agent__centre=centre, starts_at__lt=end, ends_at__gt=start)
    if group is not None:
        shifts = shifts.filter(agent__skills__group=group).distinct()
    counts = np.zeros(INTERVALS)
    for shift in shifts:
        first = max(0, int(np.ceil((shift.starts_at - start).total_seconds() / 1800)))
        last = min(INTERVALS, int((shift.ends_at - start).total_seconds() // 1800))
        if last <= first:
            continue
        covered = np.zeros(INTERVALS)
        covered[first:last] = 1
        off = min(last - first, int(np.ceil(shift.break_minutes / 30)))
        middle = (first + last - off) // 2
        covered[middle : middle + off] = 0
        counts += covered
    return counts


def staffing(
    centre: ContactCentre,
    day: dt.date,
    group: SkillGroup | None = None,
    *,
    weeks: int = 4,
    target_sl: float = 0.8,
    target_time: float = 20.0,
    max_occupancy: float = 0.85,
) -> Staffing:
    past = history(centre, group, day, weeks)
    forecast = erlang.weekday_forecast(past, day, weeks) if past else np.zeros(INTERVALS)
    aht = handle_time(centre, group, day, weeks)
    result = erlang.staffing(forecast, aht, target_sl=target_sl, target_time=target_time, max_occupancy=max_occupancy)
    return Staffing(
        day=day,
        group=group,
        forecast=forecast,
        aht=aht,
        required=np.asarray(result["agents"]),
        rostered=rostered(centre, group, day),
        service_level=np.asarray(result["service_level"]),
        weeks_used=len(past),
    )


def chart_svg(s: Staffing, width: int = 960, height: int = 260) -> str:
    """The requirement (bars) against the roster (line) per half-hour, as inline SVG (no script)."""
    pad_l, pad_b, pad_t = 36, 24, 10
    top = max(1.0, float(s.required.max(initial=0)), float(s.rostered.max(initial=0)))
    w = (width - pad_l - 4) / INTERVALS
    y = lambda v: pad_t + (height - pad_t - pad_b) * (1 - v / top)  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" class="staffing-chart">'
    ]
    for tick in range(0, int(top) + 1, max(1, int(top) // 5 or 1)):
        parts.append(f'<line x1="{pad_l}" x2="{width}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e5e9ee"/>')
        parts.append(f'<text x="{pad_l - 4}" y="{y(tick) + 4:.1f}" font-size="10" text-anchor="end">{tick}</text>')
    for i, need in enumerate(s.required):
        x = pad_l + i * w
        short = s.rostered[i] < need
        colour = "#f4b4ae" if short else "#9cc3ea"
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{y(need):.1f}" width="{w - 2:.1f}" height="{y(0) - y(need):.1f}" '
            f'fill="{colour}" data-interval="{i}" data-required="{int(need)}" data-rostered="{int(s.rostered[i])}"/>'
        )
        if i % 4 == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="10">{i // 2:02d}:00</text>')
    points = " ".join(f"{pad_l + (i + 0.5) * w:.1f},{y(v):.1f}" for i, v in enumerate(s.rostered))
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1b6b3a" stroke-width="2" class="rostered"/>')
    parts.append("</svg>")
    return "".join(parts)
