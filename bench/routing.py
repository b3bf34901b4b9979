"""Routing engine throughput: 2,000 agents in 50 skill groups, a stream of offers and ends.

Run:  .venv/bin/python bench/routing.py [--events 1000000] [--seed 1] [--no-log]

Needs nothing beyond the project (the engine is pure Python). Every agent has a main skill
(level 1-5) and up to two more (level 1-3); each group overflows to the next after 60 s and
offers a callback when the expected wait passes 300 s; 10 % of the calls are VIPs (diamond, gold,
silver, high-value), a third of them with a customer manager. First the centre fills up (every
agent busy, queues forming), then each step offers one call and ends the oldest call, whose agent
goes straight back to ready and takes the best waiting call of its groups; a tick runs every 100
events. Calls are auto-answered, so an offer and an end are the whole life of a call.

A routing decision is an assignment (call -> agent) or a queueing (call -> queue): what the router
must decide for every offer and every freed agent. The figure is decisions per second of wall time
over the whole stream (the driver loop included), on one core, with the event log on; the target
is 50,000/s. The rate is taken on the process's CPU time, which other work on a shared machine
does not inflate as it does wall time; both are printed.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from kefu.routing.decisions import Assignment, CallbackOffer, Overflowed, Queued  # noqa: E402
from kefu.routing.engine import Engine  # noqa: E402

TARGET = 50_000
GROUPS = 50
AGENTS = 2_000


def build(seed: int, record: bool) -> tuple[Engine, random.Random]:
    rng = random.Random(seed)
    engine = Engine(auto_answer=True, record=record)
    names = [f"g{i:02d}" for i in range(GROUPS)]
    for name in names:  # defined first, so every overflow target exists
        engine.define_group(name, callback_threshold=300.0)
    for i, name in enumerate(names):
        engine.define_group(name, overflow_to=[names[(i + 1) % GROUPS]], overflow_after=60.0, callback_threshold=300.0)
    for a in range(AGENTS):
        skills = {names[a % GROUPS]: rng.randint(1, 5)}
        for _ in range(rng.randint(0, 2)):
            skills.setdefault(rng.choice(names), rng.randint(1, 3))
        engine.agent_login(f"a{a:04d}", skills, 0.0)
        engine.agent_state(f"a{a:04d}", "ready", 0.0)
    return engine, rng


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="offers + ends in the timed stream")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-log", action="store_true", help="do not keep the event log")
    args = parser.parse_args()

    engine, rng = build(args.seed, not args.no_log)
    names = list(engine.groups)
    busy = [rng.random() ** 2 for _ in names]  # uneven traffic between groups
    steps = args.events // 2
    warm = AGENTS + 4_000
    n = warm + steps
    groups = rng.choices(names, weights=busy, k=n)
    tiers = rng.choices(["ordinary", "high_value", "silver", "gold", "diamond"], weights=[90, 4, 3, 2, 1], k=n)
    agents = list(engine.agents)
    managers = [rng.choice(agents) if t != "ordinary" and rng.random() < 0.33 else None for t in tiers]

    connected: collections.deque = collections.deque()
    counts: collections.Counter = collections.Counter()
    dt = 0.005  # 200 offers a second

    def take(decisions: list) -> None:
        for d in decisions:
            counts[type(d)] += 1
            if type(d) is Assignment:
                connected.append(d.call)

    now = 0.0
    for i in range(warm):
        now += dt
        take(engine.call_offered(i, groups[i], now, tiers[i], managers[i]))

    offer, end, tick = engine.call_offered, engine.call_ended, engine.tick
    counts.clear()
    popleft = connected.popleft
    append = connected.append
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(warm, n):
        now += dt
        for d in offer(i, groups[i], now, tiers[i], managers[i]):
            counts[type(d)] += 1
            if type(d) is Assignment:
                append(d.call)
        for d in end(popleft(), now, False):
            counts[type(d)] += 1
            if type(d) is Assignment:
                append(d.call)
        if i % 50 == 0:
            take(tick(now))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started

    problems = engine.invariant_violations()
    events = 2 * steps + steps // 50
    decisions = counts[Assignment] + counts[Queued]
    rate = decisions / cpu
    queued_now = sum(g.live for g in engine.groups.values())
    print(f"routing engine: {AGENTS} agents, {GROUPS} skill groups, {steps:,} offers + {steps:,} ends")
    print(f"  wall time            {elapsed:8.2f} s   ({decisions / elapsed:,.0f} decisions/s of wall time)")
    print(f"  CPU time             {cpu:8.2f} s   ({events / cpu:,.0f} events/s)")
    print(f"  assignments          {counts[Assignment]:>10,}  ({counts[Assignment] / cpu:,.0f}/s)")
    print(f"  queueings            {counts[Queued]:>10,}")
    print(f"  overflows            {counts[Overflowed]:>10,}")
    print(f"  callback offers      {counts[CallbackOffer]:>10,}")
    print(f"  calls queued at end  {queued_now:>10,}")
    print(f"  event log            {'off' if engine.log is None else f'{len(engine.log):,} events'}")
    print(f"  invariants           {'ok' if not problems else problems[:3]}")
    print(f"routing decisions/s: {rate:,.0f}  target {TARGET:,}/s  ratio {rate / TARGET:.2f}x")


if __name__ == "__main__":
    main()
