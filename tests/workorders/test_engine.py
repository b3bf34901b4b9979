"""The pure parts: workflow validation (WO-2) and working-time calendars (WO-3)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.workorders.calendars import BusinessHoursCalendar, RoundTheClock, business_hours
from kefu.workorders.defaults import COMPLAINT
from kefu.workorders.workflow import DefinitionError, missing_fields, parse

SH = ZoneInfo("Asia/Shanghai")


def _definition(steps, transitions, initial="a"):
    return {"initial": initial, "steps": steps, "transitions": transitions}


def _s(code, **kw):
    return {"code": code, "name": code.upper(), "roles": ["agent"], **kw}


def _t(code, source, target, **kw):
    return {"code": code, "name": code, "from": source, "to": target, **kw}


def test_unreachable_steps_and_dead_ends_are_named():
    definition = parse(
        _definition(
            [_s("a"), _s("b"), _s("orphan"), _s("stuck"), {"code": "end", "name": "END", "final": True}],
            [_t("go", "a", "b"), _t("finish", "b", "end"), _t("side", "b", "stuck"), _t("x", "orphan", "end")],
        )
    )
    problems = {p.kind: p.subject for p in definition.problems()}
    assert problems["unreachable"] == ("orphan",)
    assert problems["dead_end"] == ("stuck",)


def test_a_loop_without_a_way_to_a_final_step_is_refused():
    definition = parse(
        _definition(
            [_s("a"), _s("b"), _s("c"), {"code": "end", "name": "END", "final": True}],
            [_t("go", "a", "end"), _t("to-b", "a", "b"), _t("to-c", "b", "c"), _t("back", "c", "b")],
        )
    )
    problems = {p.kind: p.subject for p in definition.problems()}
    assert problems == {"no_exit": ("b", "c")}


def test_the_shipped_complaint_workflow_is_sound_and_round_trips():
    definition = parse(COMPLAINT)
    assert definition.problems() == []
    assert parse(definition.to_dict()) == definition
    assert "s_callback -.->" in definition.mermaid()


def test_malformed_definitions_name_the_place():
    with pytest.raises(DefinitionError) as exc:
        parse({"steps": [_s("a", hours=-1)]})
    assert exc.value.path == "steps[0].hours"
    with pytest.raises(DefinitionError) as exc:
        parse({"steps": [_s("a")], "transitions": [{"code": "go", "name": "go", "from": "a"}]})
    assert exc.value.path == "transitions[0].to"
    with pytest.raises(DefinitionError) as exc:
        parse({"steps": [_s("Bad Code")]})
    assert exc.value.path == "steps[0].code"


def test_callback_needs_a_handling_step_and_a_closing_transition():
    definition = parse(
        _definition(
            [_s("a"), _s("cb", callback=True), {"code": "end", "name": "END", "final": True}],
            [_t("go", "a", "cb"), _t("back", "cb", "a"), _t("close", "a", "end")],
        )
    )
    kinds = {p.kind for p in definition.problems()}
    assert {"callback_without_handling", "callback_without_close"} <= kinds


def test_missing_fields_counts_known_order_values():
    definition = parse(COMPLAINT)
    submit = definition.transition("handle", "submit")
    assert missing_fields(submit, {"result": "fixed"}) == ["root_cause"]
    assert missing_fields(submit, {"result": "  "}, {"root_cause": "network"}) == ["result"]
    assert missing_fields(submit, {"result": "fixed"}, {"root_cause": "network"}) == []


OFFICE = business_hours({"opens": "08:30", "closes": "17:30", "weekdays": [1, 2, 3, 4, 5]})


def test_business_hours_skip_nights_weekends_and_holidays():
    friday_4pm = dt.datetime(2026, 11, 27, 16, 0, tzinfo=SH)
    # 1.5 h left on Friday, 9 h on Monday, 5.5 h on Tuesday from 08:30
    assert OFFICE.add(friday_4pm, 16) == dt.datetime(2026, 12, 1, 14, 0, tzinfo=SH)
    saturday = dt.datetime(2026, 11, 28, 10, 0, tzinfo=SH)
    assert OFFICE.add(saturday, 1) == dt.datetime(2026, 11, 30, 9, 30, tzinfo=SH)
    national_day = business_hours(
        {"opens": "08:30", "closes": "17:30"}, holidays=["2026-10-01", "2026-10-02"], workdays=["2026-10-10"]
    )
    sept_30_5pm = dt.datetime(2026, 9, 30, 17, 0, tzinfo=SH)
    assert national_day.add(sept_30_5pm, 1) == dt.datetime(2026, 10, 5, 9, 0, tzinfo=SH)
    friday_oct_9 = dt.datetime(2026, 10, 9, 17, 0, tzinfo=SH)
    assert national_day.add(friday_oct_9, 1) == dt.datetime(2026, 10, 10, 9, 0, tzinfo=SH)  # make-up Saturday


def test_round_the_clock_adds_plain_hours():
    start = dt.datetime(2026, 11, 28, 23, 0, tzinfo=SH)
    assert RoundTheClock().add(start, 24) == start + dt.timedelta(hours=24)
    assert RoundTheClock().working_hours(start, start + dt.timedelta(hours=5)) == 5


moments = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=SH, microsecond=0)
)
hours = st.integers(min_value=0, max_value=200).map(lambda q: q / 4)


@settings(max_examples=150, deadline=None)
@given(start=moments, first=hours, second=hours)
def test_business_hours_add_composes_and_measures_back(start, first, second):
    cal: BusinessHoursCalendar = OFFICE
    once = cal.add(start, first + second)
    assert once == cal.add(cal.add(start, first), second)
    assert once >= start
    assert abs(cal.working_hours(start, once) - (first + second)) < 1e-6
