"""The discrete-event simulator: Erlang C agreement, determinism, profile, abandonment, shifts."""

from __future__ import annotations

import math

import pytest

from kefu.routing.simulator import (
    AgentModel,
    Exponential,
    Fixed,
    GroupModel,
    LogNormal,
    simulate,
)
from kefu.workforce import erlang

AHT = 60.0
# (agents, Erlangs, calls): occupancy 50, 60 and 70 %. The spread of the simulated service level
# around the formula shrinks with the number of calls and grows with the load: over seeds 1-6 its
# standard deviation was 0.12, 0.15 and 0.44 points with 100,000 calls, hence 150,000 at 70 %.
LOADS = [(5, 2.5, 100_000), (10, 6.0, 100_000), (10, 7.0, 150_000)]


def one_group(agents: int, load: float, calls: int, seed: int = 7):
    rate = load / AHT  # calls per second
    duration = calls / rate
    group = GroupModel("g", [rate * 1800], Exponential(AHT))
    team = [AgentModel(f"a{i}", {"g": 1}) for i in range(agents)]
    return simulate([group], team, duration, seed=seed), duration


@pytest.mark.parametrize("agents,load,calls", LOADS)
def test_one_group_exponential_no_abandonment_matches_erlang_c_within_one_point(agents, load, calls):
    result, duration = one_group(agents, load, calls=calls)
    simulated = result.service_level(20.0, since=0.02 * duration)  # the first 2 %: warm-up
    formula = erlang.service_level(load, agents, AHT, 20.0)
    assert abs(simulated - formula) <= 0.01, (simulated, formula)
    answered = [r for r in result.records if r.outcome == "answered"]
    assert len(answered) >= 0.99 * len(result.records)


def test_the_same_seed_gives_the_same_day_and_another_seed_another():
    first, _ = one_group(3, 2.0, calls=2000, seed=11)
    again, _ = one_group(3, 2.0, calls=2000, seed=11)
    other, _ = one_group(3, 2.0, calls=2000, seed=12)
    assert [r.as_dict() for r in first.records] == [r.as_dict() for r in again.records]
    assert [r.as_dict() for r in first.records] != [r.as_dict() for r in other.records]


def test_arrivals_follow_the_daily_profile():
    profile = [0.0] * 16 + [400.0] * 4 + [100.0] * 28  # quiet night, busy 8:00-10:00
    group = GroupModel("g", profile, Fixed(1.0))
    result = simulate([group], [AgentModel("a", {"g": 1})], 2 * 86400, seed=3)
    per_interval = [0] * 48
    for r in result.records:
        per_interval[int(r.offered_at // 1800) % 48] += 1
    assert per_interval[:16] == [0] * 16
    for i in range(16, 20):
        assert per_interval[i] == pytest.approx(800, rel=0.15)
    assert sum(per_interval[20:]) == pytest.approx(2 * 100 * 28, rel=0.05)


def test_impatient_callers_abandon_and_the_records_say_when():
    group = GroupModel("g", [60.0], Exponential(60.0), patience=Exponential(30.0))
    result = simulate([group], [AgentModel("a", {"g": 1})], 4 * 3600, seed=5)
    outcomes = {r.outcome for r in result.records}
    assert {"answered", "abandoned"} <= outcomes
    for r in result.records:
        if r.outcome == "abandoned":
            assert r.answered_at is None and r.agent is None and r.abandoned_at > r.offered_at
        elif r.outcome == "answered":
            assert r.offered_at <= r.answered_at and (r.ended_at is None or r.answered_at <= r.ended_at)
            assert r.agent == "a" and r.queue == "g"
    abandoned = sum(r.outcome == "abandoned" for r in result.records) / len(result.records)
    assert 0.2 < abandoned < 0.8  # 2 calls a minute against one agent taking a minute each


def test_agents_work_only_in_their_shifts_and_take_breaks_after_the_call():
    group = GroupModel("g", [120.0], LogNormal(120.0, 60.0), wrap_up=Fixed(10.0))
    agents = [
        AgentModel("early", {"g": 1}, shifts=[(0.0, 3600.0)], breaks=[(1800.0, 600.0)]),
        AgentModel("late", {"g": 1}, shifts=[(3600.0, 7200.0)]),
    ]
    result = simulate([group], agents, 7200.0, seed=9)
    for r in result.records:
        if r.agent == "early":
            assert r.answered_at < 3600.0
            assert not (1800.0 + 300.0 < r.answered_at < 1800.0 + 600.0)  # on a break by then
        elif r.agent == "late":
            assert r.answered_at >= 3600.0
    engine = result.engine
    assert engine.agent_state_of("early").value in ("logged_out",)
    assert engine.invariant_violations() == []


def test_vip_tiers_overflow_and_callbacks_in_a_two_group_centre():
    vip = GroupModel(
        "vip",
        [300.0],
        Exponential(200.0),
        tiers={"diamond": 1, "gold": 2, "ordinary": 7},
        overflow_to=["general"],
        overflow_after=30.0,
        callback_threshold=120.0,
        callback_accept=0.5,
    )
    general = GroupModel("general", [200.0], Exponential(200.0))
    agents = [AgentModel(f"v{i}", {"vip": 2}) for i in range(4)] + [
        AgentModel(f"g{i}", {"general": 1}) for i in range(8)
    ]
    result = simulate([vip, general], agents, 8 * 3600, seed=2, record_events=True)
    records = result.records
    assert {r.tier for r in records if r.group == "vip"} == {"diamond", "gold", "ordinary"}
    assert any(r.group == "vip" and r.queue == "general" for r in records)  # overflowed and answered
    assert any(r.outcome == "callback" for r in records)

    def mean_wait(tier: str) -> float:
        waits = [r.wait for r in records if r.group == "vip" and r.tier == tier and r.outcome == "answered"]
        return sum(waits) / len(waits)

    assert mean_wait("diamond") < mean_wait("ordinary")
    assert result.engine.log and result.engine.invariant_violations() == []


def test_distributions_have_the_asked_mean():
    import random

    rng = random.Random(1)
    lognormal = LogNormal(180.0, 90.0)
    draws = [lognormal.sample(rng) for _ in range(40_000)]
    assert sum(draws) / len(draws) == pytest.approx(180.0, rel=0.02)
    sd = math.sqrt(sum((x - 180.0) ** 2 for x in draws) / len(draws))
    assert sd == pytest.approx(90.0, rel=0.05)
    with pytest.raises(ValueError):
        Exponential(0)
