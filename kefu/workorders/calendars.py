"""Working-time calendars for time limits (WO-3): round the clock (24×7) or business hours.

Pure Python. A calendar adds working hours to a moment and measures the working time between two
moments, so that a 16-hour limit on a business-hours category started on Friday afternoon falls due
on Tuesday, and an order suspended for a weekend keeps its remaining working time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

TWENTY_FOUR_SEVEN = "24x7"
BUSINESS_HOURS = "business_hours"


class Calendar:
    def add(self, start: dt.datetime, hours: float) -> dt.datetime:  # pragma: no cover - interface
        raise NotImplementedError

    def working_hours(self, start: dt.datetime, end: dt.datetime) -> float:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class RoundTheClock(Calendar):
    def add(self, start: dt.datetime, hours: float) -> dt.datetime:
        return start + dt.timedelta(hours=hours)

    def working_hours(self, start: dt.datetime, end: dt.datetime) -> float:
        return max((end - start).total_seconds(), 0) / 3600


@dataclass(frozen=True)
class BusinessHoursCalendar(Calendar):
    """Working time from `opens` to `closes` on `weekdays` (ISO: Monday 1 … Sunday 7), except
    `holidays`, plus `workdays` (make-up working days on a weekend, 调休), in `zone`."""

    opens: dt.time
    closes: dt.time
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)
    zone: str = "Asia/Shanghai"

    def __post_init__(self):
        if self.closes <= self.opens:
            raise ValueError("business hours must close after they open")
        if not self.weekdays and not self.workdays:
            raise ValueError("business hours need at least one working day")

    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.isoweekday() in self.weekdays and day not in self.holidays

    def _period(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        tz = self._tz()
        return (dt.datetime.combine(day, self.opens, tzinfo=tz), dt.datetime.combine(day, self.closes, tzinfo=tz))

    def add(self, start: dt.datetime, hours: float) -> dt.datetime:
        if hours <= 0:
            return start
        remaining = dt.timedelta(hours=hours)
        current = start.astimezone(self._tz())
        day = current.date()
        for _ in range(3700):  # ten years of days: a limit longer than that is a configuration error
            if self.is_working_day(day):
                opens, closes = self._period(day)
                begin = max(current, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(start.tzinfo)
                    remaining -= available
            day += dt.timedelta(days=1)
            current = dt.datetime.combine(day, dt.time(0), tzinfo=self._tz())
        raise ValueError("time limit too long for this calendar")

    def working_hours(self, start: dt.datetime, end: dt.datetime) -> float:
        if end <= start:
            return 0.0
        tz = self._tz()
        start_local, end_local = start.astimezone(tz), end.astimezone(tz)
        total = dt.timedelta()
        day = start_local.date()
        while day <= end_local.date():
            if self.is_working_day(day):
                opens, closes = self._period(day)
                begin, finish = max(opens, start_local), min(closes, end_local)
                if finish > begin:
                    total += finish - begin
            day += dt.timedelta(days=1)
        return total.total_seconds() / 3600


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def business_hours(spec: dict, holidays=(), workdays=(), zone: str = "Asia/Shanghai") -> BusinessHoursCalendar:
    """A business-hours calendar from its parameter form {"opens": "08:30", "closes": "17:30", "weekdays": [1..5]}."""
    return BusinessHoursCalendar(
        opens=_time(spec.get("opens", "08:30")),
        closes=_time(spec.get("closes", "17:30")),
        weekdays=frozenset(int(d) for d in spec.get("weekdays", [1, 2, 3, 4, 5])),
        holidays=frozenset(dt.date.fromisoformat(d) for d in holidays),
        workdays=frozenset(dt.date.fromisoformat(d) for d in workdays),
        zone=zone,
    )
