"""Screen pop: the customer 360 API under load, against the floor of the same SQL through psycopg.

    apt-get install -y wrk                       # the HTTP load generator (C, light on the CPU)
    .venv/bin/python bench/screen_pop.py [--database-url URL] [--subscribers 1000000] [--clients 32] [--seconds 30]

On PostgreSQL (a database `kefu_bench` that it creates and fills with `kefu demo` when it holds fewer
subscribers than asked), it starts the production server (`kefu serve`, several worker processes),
logs in as `agent.xian` (city scope, masked: the common case) and has `wrk` call
`GET /api/v1/customers/{msisdn}/360` for random MSISDNs of that agent's city with N concurrent
connections. The floor is the SQL one such request issues (captured from the real endpoint), issued
straight through psycopg by the same number of threads. The two run in turns (--rounds, 3 by default:
this machine's speed moves by ±15 % from minute to minute). It prints requests/s, p50 and p99 of both in
each round and the median ratio. Targets (issue 2): throughput at least half the floor's, p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workorders import CpuMeter, _proc_cpu  # noqa: E402  (the sibling benchmark's /proc meter)

ROOT = Path(__file__).resolve().parent.parent
KEFU = str(ROOT / ".venv" / "bin" / "kefu")
PASSWORD = "bench-pass-2026"
USER = "agent.xian"


def ensure_database(url: str, subscribers: int) -> None:
    dbname = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
            conn.execute(f'CREATE DATABASE "{dbname}"')
    count = 0
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('customers_subscriber')").fetchone()[0]
        if exists:
            count = conn.execute("SELECT count(*) FROM customers_subscriber").fetchone()[0]
    if count < subscribers:
        print(f"filling {dbname} with {subscribers:,} subscribers (kefu demo)…", flush=True)
        subprocess.run(
            [
                KEFU,
                "demo",
                "--subscribers",
                str(subscribers),
                "--seed",
                "1",
                "--password",
                PASSWORD,
                "--skip-keyaccounts",
            ],
            check=True,
            env={**os.environ, "DATABASE_URL": url},
        )
    else:
        # an earlier fill: bring its schema up to date and set the bench user's password
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run([KEFU, "migrate", "-v0"], check=True, env=env)
        subprocess.run(
            [
                KEFU,
                "shell",
                "-c",
                f"from kefu.core.models import User; u = User.objects.get(username='{USER}'); "
                f"u.set_password('{PASSWORD}'); u.locked_until = None; u.save()",
            ],
            check=True,
            env=env,
        )


def sample_msisdns(url: str, n: int) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """SELECT s.msisdn FROM customers_subscriber s JOIN core_region r ON r.id = s.region_id
               WHERE s.store = 'on_net' AND r.path LIKE '/shaanxi/xian/%%' ORDER BY random() LIMIT %s""",
            (n,),
        ).fetchall()
    return [r[0] for r in rows]


def start_server(url: str, port: int, workers: int | None) -> subprocess.Popen:
    # With Redis as the channel layer `kefu serve` runs several worker processes (production set-up); by
    # default as many as `kefu serve` chooses (one per core).
    env = {**os.environ, "DATABASE_URL": url, "KEFU_CONN_MAX_AGE": "600", "REDIS_URL": "redis://127.0.0.1:6379/0"}
    server = subprocess.Popen(
        [KEFU, "serve", "--port", str(port), *(["--workers", str(workers)] if workers else [])],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def get_token(port: int) -> str:
    import json

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token",
        data=json.dumps({"username": USER, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    return json.loads(urllib.request.urlopen(request).read())["token"]


WRK_SCRIPT = """
local numbers = {}
for line in io.lines("%(numbers)s") do numbers[#numbers + 1] = line end
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  return wrk.format("GET", "/api/v1/customers/" .. numbers[math.random(#numbers)] .. "/360")
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.timeout
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), errors))
end
"""


class BackendCpu:
    """CPU of a database's PostgreSQL backends, sampled while they live (the floor's close before the end)."""

    def __init__(self, url: str):
        self.dsn, self.dbname = url.rsplit("/", 1)
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        with psycopg.connect(f"{self.dsn}/postgres", autocommit=True) as conn:
            while self.running:
                rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.dbname,)).fetchall()
                for (pid,) in rows:
                    cpu = _proc_cpu(pid)
                    if cpu:
                        self.first.setdefault(pid, cpu)
                        self.last[pid] = cpu
                time.sleep(0.2)

    def stop(self) -> float:
        """CPU seconds the backends spent since they were first seen."""
        self.running = False
        self.thread.join()
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def run_wrk(port: int, token: str, msisdns: list[str], clients: int, seconds: int, meter=None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        numbers = Path(tmp) / "numbers.txt"
        numbers.write_text("\n".join(msisdns))
        script = Path(tmp) / "pop.lua"
        script.write_text(WRK_SCRIPT % {"numbers": numbers, "token": token})
        # warm up the workers' connections and caches
        subprocess.run(
            ["wrk", "-t2", f"-c{clients}", "-d3s", "-s", str(script), f"http://127.0.0.1:{port}"],
            capture_output=True,
            check=True,
        )
        app0, db0 = meter.sample() if meter else (0.0, 0.0)
        out = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        app1, db1 = meter.sample() if meter else (0.0, 0.0)
    requests, duration_us, p50_us, p99_us, errors = map(int, re.search(r"RESULT (.*)", out).group(1).split())
    return {
        "rps": requests / (duration_us / 1e6),
        "p50": p50_us / 1000,
        "p99": p99_us / 1000,
        "errors": errors,
        "app_ms": (app1 - app0) * 1000 / max(requests, 1),
        "db_ms": max(db1 - db0, 0.0) * 1000 / max(requests, 1),
    }


def capture_sql(url: str, msisdn: str, token: str) -> list[tuple[str, tuple]]:
    """The statements one 360 request issues, with their parameters, from the real endpoint."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from kefu.core.cache import clear_all

    statements: list[tuple[str, tuple]] = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    client = Client()
    client.get(f"/api/v1/customers/{msisdn}/360", HTTP_AUTHORIZATION=f"Bearer {token}")  # warm the caches
    with connection.execute_wrapper(capture):
        response = client.get(f"/api/v1/customers/{msisdn}/360", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    clear_all()
    return statements


def run_floor(url: str, statements, sample_msisdn: str, msisdns: list[str], clients: int, seconds: int) -> dict:
    """The same statements per request through psycopg, the MSISDN and subscriber id swapped per request."""
    with psycopg.connect(url) as conn:
        sample_id = conn.execute(
            "SELECT id FROM customers_subscriber WHERE msisdn = %s AND store = 'on_net'", (sample_msisdn,)
        ).fetchone()[0]
        ids = dict(
            conn.execute(
                "SELECT msisdn, id FROM customers_subscriber WHERE store = 'on_net' AND msisdn = ANY(%s)", (msisdns,)
            ).fetchall()
        )
    latencies: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.monotonic() + seconds
    start = threading.Barrier(clients + 1)

    def worker(slot: int) -> None:
        rng = random.Random(slot)
        with psycopg.connect(url, autocommit=True) as conn:
            cur = conn.cursor()
            start.wait()
            while time.monotonic() < deadline:
                msisdn = rng.choice(msisdns)
                swap = {sample_msisdn: msisdn, sample_id: ids[msisdn]}
                t0 = time.perf_counter()
                for sql, params in statements:
                    cur.execute(sql, tuple(swap.get(p, p) if isinstance(p, (str, int)) else p for p in params))
                    if cur.description:
                        cur.fetchall()
                latencies[slot].append(time.perf_counter() - t0)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    backends = BackendCpu(url)
    start.wait()
    app0 = _proc_cpu(os.getpid())
    began = time.monotonic()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    app1 = _proc_cpu(os.getpid())
    db = backends.stop()
    flat = sorted(x for per in latencies for x in per)
    return {
        "rps": len(flat) / elapsed,
        "p50": statistics.median(flat) * 1000,
        "p99": flat[int(len(flat) * 0.99)] * 1000,
        "errors": 0,
        "app_ms": (app1 - app0) * 1000 / len(flat),
        "db_ms": db * 1000 / len(flat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/kefu_bench")
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: kefu serve's)")
    parser.add_argument("--rounds", type=int, default=3, help="server and floor in turns, this many times each")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    ensure_database(args.database_url, args.subscribers)
    msisdns = sample_msisdns(args.database_url, 20_000)
    server = start_server(args.database_url, args.port, args.workers)
    dsn, dbname = args.database_url.rsplit("/", 1)
    runs: dict[str, list[dict]] = {"api": [], "floor": []}
    try:
        token = get_token(args.port)
        statements = capture_sql(args.database_url, msisdns[0], token)
        # The server and the floor run in turns, so that a burst of load on the machine weighs on both alike;
        # the ratio is the median of the rounds' ratios.
        for _ in range(args.rounds):
            meter = CpuMeter(server.pid, dsn, dbname)
            runs["api"].append(run_wrk(args.port, token, msisdns, args.clients, args.seconds, meter))
            floor = run_floor(args.database_url, statements, msisdns[0], msisdns, args.clients, args.seconds)
            runs["floor"].append(floor)
            print(
                f"  round {len(runs['api'])}: api {runs['api'][-1]['rps']:.0f} req/s, "
                f"floor {runs['floor'][-1]['rps']:.0f} req/s",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait()

    print(
        f"\n360 API, {args.subscribers:,} subscribers, {args.clients} clients, {args.rounds} rounds of "
        f"{args.seconds} s each, {len(statements)} SQL statements per request"
    )
    print(f"{'':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}   CPU per request (process + PostgreSQL)")
    ratios = [a["rps"] / f["rps"] for a, f in zip(runs["api"], runs["floor"], strict=True)]
    for round_no, (api, floor) in enumerate(zip(runs["api"], runs["floor"], strict=True), 1):
        for name, r in ((f"{round_no}: kefu serve (wrk)", api), (f"{round_no}: floor (psycopg)", floor)):
            print(
                f"{name:<28}{r['rps']:>10.0f}{r['p50']:>10.1f}{r['p99']:>10.1f}{r['errors']:>8}   "
                f"{r['app_ms']:.2f} + {r['db_ms']:.2f} = {r['app_ms'] + r['db_ms']:.2f} ms"
            )
    api_p99 = statistics.median(r["p99"] for r in runs["api"])
    api_rps = statistics.median(r["rps"] for r in runs["api"])
    each = ", ".join(f"{x:.2f}" for x in ratios)
    print(
        f"throughput ratio api/floor: {statistics.median(ratios):.2f} (median of {each}; target >= 0.5); "
        f"p99 {api_p99:.1f} ms (median; target < 50)"
    )
    # Little's law: with every client always waiting for an answer, the mean latency is clients / throughput,
    # and a p99 under 50 ms needs a mean under it.
    print(
        f"mean latency at {api_rps:.0f} req/s with {args.clients} clients: {args.clients / api_rps * 1000:.1f} ms; "
        f"a p99 under 50 ms needs more than {args.clients / 0.05:.0f} req/s"
    )


if __name__ == "__main__":
    main()
