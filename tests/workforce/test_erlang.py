"""Erlang C against textbook values and a direct summation with math.factorial; the forecast."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from kefu.workforce import erlang


def erlang_c_by_summation(a: float, n: int) -> float:
    """The textbook formula, term by term: fine for small n, overflows for large ones."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def test_textbook_example_100_calls_in_half_an_hour_180_s_80_in_20():
    a = erlang.traffic(100, 180)
    assert a == 10.0
    levels = {n: round(erlang.service_level(a, n, 180, 20), 3) for n in (11, 12, 13, 14)}
    assert levels == {11: 0.39, 12: 0.64, 13: 0.796, 14: 0.888}
    assert erlang.agents_required(100, 180) == 14
    assert erlang.erlang_c(a, 14) == pytest.approx(0.1741, abs=1e-4)
    assert erlang.average_speed_of_answer(a, 14, 180) == pytest.approx(7.84, abs=0.01)
    assert erlang.occupancy(a, 14) == pytest.approx(10 / 14)


@pytest.mark.parametrize("a", [0.5, 1.0, 3.7, 8.0, 12.5, 40.0])
def test_erlang_c_matches_the_factorial_formula(a):
    for n in range(math.floor(a) + 1, math.floor(a) + 15):
        assert erlang.erlang_c(a, n) == pytest.approx(erlang_c_by_summation(a, n), rel=1e-12)


def test_no_overflow_with_thousands_of_agents():
    with pytest.raises(OverflowError):
        erlang_c_by_summation(1900.0, 2000)
    c = erlang.erlang_c(1900.0, 2000)
    assert 0 < c < 1
    assert erlang.agents_required(1900 * 1800 / 180, 180) > 1900


def test_scalars_and_arrays_agree():
    calls = np.array([[10, 100, 250], [0, 37, 1000]])
    aht = np.array([[180, 240, 95], [180, 300, 200]])
    vector = erlang.agents_required(calls, aht)
    scalar = [
        [erlang.agents_required(int(c), int(h)) for c, h in zip(row, hrow, strict=True)]
        for row, hrow in zip(calls, aht, strict=True)
    ]
    assert vector.tolist() == scalar
    a = calls * aht / 1800
    sl = erlang.service_level(a, np.maximum(vector, 1), aht)
    assert sl[calls > 0].min() >= 0.8


def test_agents_required_is_the_smallest_that_meets_both_targets():
    rng = np.random.default_rng(4)
    calls = rng.integers(1, 800, size=300)
    aht = rng.integers(60, 600, size=300)
    need = erlang.agents_required(calls, aht, target_sl=0.9, target_time=15, max_occupancy=0.8)

    def ok(a: float, h: float, k: int) -> bool:
        return k > a and erlang.service_level(a, k, h, 15) >= 0.9 and a / k <= 0.8 + 1e-12

    for c, h, n in zip(calls.tolist(), aht.tolist(), need.tolist(), strict=True):
        a = c * h / 1800
        assert ok(a, h, n) and not ok(a, h, n - 1)


def test_the_occupancy_cap_adds_agents_when_the_service_level_alone_would_not():
    # a big queue with a patient target: the service level is met far below 85 % occupancy cap
    loose = erlang.agents_required(2000, 180, target_sl=0.5, target_time=60, max_occupancy=1.0)
    capped = erlang.agents_required(2000, 180, target_sl=0.5, target_time=60, max_occupancy=0.85)
    assert capped == math.ceil(200 / 0.85) > loose


def test_no_calls_no_agents_and_bad_input_is_refused():
    assert erlang.agents_required(0, 180) == 0
    plan = erlang.staffing([0, 100], 180)
    assert plan["agents"].tolist() == [0, 14]
    assert plan["service_level"][0] == 1.0
    with pytest.raises(ValueError):
        erlang.agents_required(-1, 180)
    with pytest.raises(ValueError):
        erlang.agents_required(10, 0)
    with pytest.raises(ValueError):
        erlang.agents_required(10, 180, target_sl=1.0)


def test_staffing_reports_what_the_agents_achieve():
    plan = erlang.staffing(np.array([100, 200, 400]), 180)
    assert plan["agents"].tolist() == [14, 24, 48]  # 48: the 85 % occupancy cap (40 / 0.85 = 47.06)
    assert (plan["service_level"] >= 0.8).all()
    assert (plan["occupancy"] <= 0.85).all()
    assert plan["asa"][0] == pytest.approx(erlang.average_speed_of_answer(10.0, 14, 180))


def test_forecast_weights_recent_weeks_more():
    day = dt.date(2026, 3, 23)  # a Monday
    history = {day - dt.timedelta(days=7 * k): [float(100 * k)] * 48 for k in (1, 2, 3, 4)}
    history[day - dt.timedelta(days=1)] = [9999.0] * 48  # Sunday: another weekday, not used
    forecast = erlang.weekday_forecast(history, day)
    assert forecast.shape == (48,)
    assert forecast[0] == pytest.approx(0.4 * 100 + 0.3 * 200 + 0.2 * 300 + 0.1 * 400)
    assert erlang.default_weights(4).tolist() == pytest.approx([0.4, 0.3, 0.2, 0.1])


def test_forecast_leaves_out_missing_weeks_and_keeps_the_daily_shape():
    day = dt.date(2026, 3, 23)
    shape = [0.0] * 16 + [50.0] * 20 + [10.0] * 12
    history = {
        day - dt.timedelta(days=7): shape,
        day - dt.timedelta(days=21): [2 * x for x in shape],
    }
    forecast = erlang.weekday_forecast(history, day)
    expected = (0.4 * np.array(shape) + 0.2 * 2 * np.array(shape)) / 0.6
    assert forecast == pytest.approx(expected)
    with pytest.raises(ValueError):
        erlang.weekday_forecast({}, day)
    custom = erlang.weekday_forecast(history, day, weeks=3, weights=[1, 0, 0])
    assert custom == pytest.approx(shape)


def test_vectorised_forecast_over_queues_and_intervals():
    weeks = np.array(
        [
            [[10.0, 20.0], [30.0, 40.0]],
            [[20.0, np.nan], [30.0, 40.0]],
            [[30.0, 40.0], [30.0, 40.0]],
            [[40.0, 40.0], [30.0, 40.0]],
        ]
    )
    forecast = erlang.weighted_forecast(weeks)
    assert forecast[0, 0] == pytest.approx(20.0)
    assert forecast[0, 1] == pytest.approx((0.4 * 20 + 0.2 * 40 + 0.1 * 40) / 0.7)
    assert forecast[1].tolist() == pytest.approx([30.0, 40.0])
    staff = erlang.agents_required(np.round(forecast * 10), 180)
    assert staff.shape == (2, 2)
