"""M/M/c in the contact-centre simulator and in ciw: service levels beside Erlang C, and the time ratio.

Setup (once; ciw is for this benchmark only, not a dependency of the product):
    python3 -m venv var/bench-venv && var/bench-venv/bin/pip install numpy ciw pyworkforce
Run:
    var/bench-venv/bin/python bench/simulate.py [--calls 1000000] [--seed 1] [--skip-ciw]

kefu.routing and kefu.workforce.erlang are pure Python (+ numpy), so they run from the source tree
in that venv. The model: one skill group, 200 agents, Poisson arrivals, exponential handle time of
180 s, no abandonment, 185 Erlangs offered (92.5 % occupancy; Erlang C: 96.3 % answered within
20 s, 19.5 % wait at all), until 1,000,000 calls have been offered - 11.3 days of traffic,
since a day of a million calls at 180 s would need 2,100 agents. Our simulator drives the real
routing engine (offer, assignment, end, agent back to ready, per call); ciw runs the same queue.
The service level counts the calls offered after the first 2 % of the run (warm-up from an empty
centre). Times are CPU times (process_time) of the simulation run alone. Targets: both within 1
point of Erlang C, ours >= 5x faster than ciw.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from kefu.routing.simulator import AgentModel, Exponential, GroupModel, simulate  # noqa: E402
from kefu.workforce import erlang  # noqa: E402

AGENTS = 200
AHT = 180.0
LOAD = 185.0  # Erlangs
THRESHOLD = 20.0
TARGET_RATIO = 5.0


def ours(calls: int, seed: int) -> tuple[float, float, float, float, int]:
    rate = LOAD / AHT
    duration = calls / rate
    group = GroupModel("g", [rate * 1800], Exponential(AHT))
    team = [AgentModel(f"a{i:03d}", {"g": 1}) for i in range(AGENTS)]
    started = time.process_time()
    result = simulate([group], team, duration, seed=seed)
    elapsed = time.process_time() - started
    since = 0.02 * duration
    waits = [
        r.answered_at - r.offered_at for r in result.records if r.offered_at >= since and r.answered_at is not None
    ]
    return _figures(waits) + (elapsed, len(result.records))


def ciw_run(calls: int, seed: int) -> tuple[float, float, float, float, int]:
    import ciw

    rate = LOAD / AHT
    duration = calls / rate
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rate)],
        service_distributions=[ciw.dists.Exponential(rate=1 / AHT)],
        number_of_servers=[AGENTS],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    started = time.process_time()
    sim.simulate_until_max_time(duration)
    elapsed = time.process_time() - started
    records = sim.get_all_records()
    since = 0.02 * duration
    waits = [r.waiting_time for r in records if r.arrival_date >= since]
    return _figures(waits) + (elapsed, len(records))


def _figures(waits: list[float]) -> tuple[float, float, float]:
    n = len(waits)
    return (
        sum(1 for w in waits if w <= THRESHOLD) / n,
        sum(1 for w in waits if w > 0) / n,
        sum(waits) / n,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-ciw", action="store_true")
    args = parser.parse_args()

    sl = erlang.service_level(LOAD, AGENTS, AHT, THRESHOLD)
    pw = erlang.erlang_c(LOAD, AGENTS)
    asa = erlang.average_speed_of_answer(LOAD, AGENTS, AHT)
    print(f"M/M/{AGENTS}: {LOAD:.0f} Erlangs, AHT {AHT:.0f} s, {args.calls:,} calls, seed {args.seed}")
    print(f"  {'':22} {'SL 20 s':>9} {'P(wait)':>9} {'ASA s':>8} {'CPU s':>9} {'calls':>10}")
    print(f"  {'Erlang C':22} {sl:9.2%} {pw:9.2%} {asa:8.2f}")
    k = ours(args.calls, args.seed)
    print(f"  {'kefu simulator':22} {k[0]:9.2%} {k[1]:9.2%} {k[2]:8.2f} {k[3]:9.1f} {k[4]:>10,}")
    if args.skip_ciw:
        return
    try:
        c = ciw_run(args.calls, args.seed)
    except ImportError:
        sys.exit("ciw is missing: see the setup line at the top of this script")
    print(f"  {'ciw ' + _ciw_version():22} {c[0]:9.2%} {c[1]:9.2%} {c[2]:8.2f} {c[3]:9.1f} {c[4]:>10,}")
    print(
        f"service level: kefu {100 * (k[0] - sl):+.2f} points, ciw {100 * (c[0] - sl):+.2f} points from Erlang C"
        f" (target within 1)"
    )
    print(f"speed ratio: {c[3] / k[3]:.1f}x faster than ciw (target >= {TARGET_RATIO:.0f}x)")


def _ciw_version() -> str:
    import ciw

    return getattr(ciw, "__version__", "")


if __name__ == "__main__":
    main()
