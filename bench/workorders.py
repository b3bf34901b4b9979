"""Create and dispatch 20,000 work orders through Kefu's HTTP API, against django-helpdesk creating
20,000 tickets through its REST API, under the same load (16 concurrent clients) on the same PostgreSQL
server. Target (issue 3): at least 2× django-helpdesk's rate.

Install once (the benchmark's own dependencies, not the product's):

    apt-get install -y wrk                                   # the HTTP load generator (C, light on the CPU)
    python3 -m venv /tmp/helpdesk-venv
    /tmp/helpdesk-venv/bin/pip install django-helpdesk "psycopg[binary]" gunicorn

Run:

    .venv/bin/python bench/workorders.py [--orders 20000] [--clients 16] [--workers 4] [--threads 4]

Kefu: a database `kefu_bench_wo_api` (created and seeded with `kefu demo --subscribers 20000` when
missing; not the queue benchmark's, whose queues these orders would swell). `--server gunicorn` (default)
serves Kefu's WSGI application under exactly the gunicorn settings django-helpdesk gets (gthread,
--workers × --threads, persistent connections): the like-for-like comparison; `--server serve` runs
`kefu serve` as shipped. `agent.xian` posts `POST /api/v1/workorders` with a complaint of a random
Xi'an customer (by MSISDN) and `"transition": "submit"`: the order is accepted — customer looked up in
scope, duplicate check (confirmed), number, time limits and SLA timers, timeline, audit, TMF621 hub
outbox — and dispatched to the back-office queue of the customer's city in the same request; the
answer is the order with its timeline and allowed actions (201).

django-helpdesk (the PyPI package, in its own virtualenv): a minimal Django project written by this
script under /tmp/kefu-bench-helpdesk, on the same PostgreSQL server in its own database
`helpdesk_bench`, with `HELPDESK_ACTIVATE_API_ENDPOINT = True` (2.x reads `HELPDESK_API_ENABLED`, also
set), DRF token authentication (the equivalent of Kefu's bearer token; the default basic auth would
hash a password per request) and e-mail to the dummy backend; served by the same gunicorn settings. A
staff user posts `POST /helpdesk/api/tickets/` with queue, title, description, submitter e-mail,
priority and `assigned_to` (created and assigned in one request), answered 201 with the ticket.

Both are driven by wrk with the same number of connections, in runs of --seconds until --orders were
created (the warm-up run is not counted); the rate is created ÷ time. It prints both rates, their
latencies and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workorder_queue import KEFU, PASSWORD, ensure_database  # noqa: E402  (the sibling benchmark)

HELPDESK_DIR = Path("/tmp/kefu-bench-helpdesk")
TARGET = 2.0

WRK_SCRIPT = """
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "%(auth)s"
request = function()
  return wrk.format(nil, "%(path)s", nil, bodies[math.random(#bodies)])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def gunicorn_flags(args, port: int) -> list[str]:
    return [
        f"--bind=127.0.0.1:{port}",
        f"--workers={args.workers}",
        f"--threads={args.threads}",
        "--worker-class=gthread",
        "--access-logfile=-",
        "--timeout=60",
    ]


def wait_for(url: str, server: subprocess.Popen) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # the server answers (a 4xx is fine)
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"the server exited ({server.returncode})") from None
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"{url} did not answer")


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


class CpuMeter:
    """CPU used by the server (the master and its workers) and by its PostgreSQL backends: the cost of a
    request that does not depend on what else the machine is doing (it is shared)."""

    def __init__(self, server_pid: int, dsn: str, dbname: str):
        self.server_pid, self.dsn, self.dbname = server_pid, dsn, dbname

    def sample(self) -> tuple[float, float]:
        app = sum(_proc_cpu(p) for p in [self.server_pid, *_children(self.server_pid)])
        with psycopg.connect(f"{self.dsn}/postgres", autocommit=True) as conn:
            pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.dbname,))]
        return app, sum(_proc_cpu(p) for p in pids)


def drive(
    port: int, path: str, auth: str, bodies: list[str], clients: int, target: int, seconds: int, count, meter
) -> dict:
    """wrk runs of `seconds` until `count()` grew by `target`; returns rate, latencies and CPU per request."""
    with tempfile.TemporaryDirectory() as tmp:
        body_file = Path(tmp) / "bodies.txt"
        body_file.write_text("\n".join(bodies))
        script = Path(tmp) / "post.lua"
        script.write_text(WRK_SCRIPT % {"bodies": body_file, "auth": auth, "path": path})
        url = f"http://127.0.0.1:{port}"
        wrk = ["wrk", "-t2", f"-c{clients}", "-s", str(script), "--timeout", "30s"]
        subprocess.run([*wrk, "-d3s", url], capture_output=True, check=True)  # warm-up: not counted
        start = count()
        elapsed, p50s, p99s, requests, status_errors, socket_errors = 0.0, [], [], 0, 0, 0
        app_cpu = db_cpu = 0.0
        while count() - start < target:
            app0, db0 = meter.sample()
            out = subprocess.run([*wrk, f"-d{seconds}s", url], capture_output=True, text=True, check=True).stdout
            app1, db1 = meter.sample()  # backends opened during the run are counted from their start
            app_cpu += app1 - app0
            db_cpu += max(db1 - db0, 0.0)
            n, duration_us, p50, p99, status, sockets = map(int, re.search(r"RESULT (.*)", out).group(1).split())
            elapsed += duration_us / 1e6
            requests += n
            status_errors += status
            socket_errors += sockets
            p50s.append(p50 / 1000)
            p99s.append(p99 / 1000)
        created = count() - start
    return {
        "created": created,
        "seconds": elapsed,
        "rate": created / elapsed,
        "p50": sorted(p50s)[len(p50s) // 2],
        "p99": max(p99s),
        "requests": requests,
        "errors": status_errors + socket_errors,
        "app_ms": app_cpu * 1000 / max(created, 1),
        "db_ms": db_cpu * 1000 / max(created, 1),
    }


# -- Kefu ------------------------------------------------------------------------------------------------


def run_kefu(args) -> dict:
    ensure_database(args.database_url)
    with psycopg.connect(args.database_url) as conn:
        msisdns = [
            r[0]
            for r in conn.execute(
                """SELECT s.msisdn FROM customers_subscriber s JOIN core_region r ON r.id = s.region_id
                   WHERE s.store = 'on_net' AND r.path LIKE '/shaanxi/xian/%%' ORDER BY s.id LIMIT 2000"""
            ).fetchall()
        ]
    env = {**os.environ, "DATABASE_URL": args.database_url, "KEFU_LOG_LEVEL": "WARNING"}
    port = args.port
    if args.server == "gunicorn":
        # Kefu's WSGI application under exactly the gunicorn settings django-helpdesk gets
        env["KEFU_CONN_MAX_AGE"] = "600"
        command = [str(Path(KEFU).parent / "gunicorn"), "kefu.wsgi:application", *gunicorn_flags(args, port)]
    else:
        # `kefu serve` as shipped: the ASGI application (HTTP + WebSockets) under uvicorn; several workers
        # need the Redis channel layer
        env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
        command = [KEFU, "serve", "--port", str(port), "--workers", str(args.workers), "--threads", str(args.threads)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/health/", server)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/auth/token",
            data=json.dumps({"username": "agent.xian", "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        token = json.loads(urllib.request.urlopen(request).read())["token"]
        bodies = [
            json.dumps(
                {
                    "category": "complaint-billing",
                    "title": "话费异常",
                    "description": "本月多扣 30 元，请核实",
                    "channel": "hotline",
                    "msisdn": msisdn,
                    "confirm_duplicate": True,
                    "transition": "submit",
                },
                ensure_ascii=False,
            )
            for msisdn in msisdns
        ]

        counter = psycopg.connect(args.database_url, autocommit=True)

        def count() -> int:
            return counter.execute("SELECT count(*) FROM workorders_workorder").fetchone()[0]

        dsn, dbname = args.database_url.rsplit("/", 1)
        meter = CpuMeter(server.pid, dsn, dbname)
        result = drive(
            port, "/api/v1/workorders", f"Bearer {token}", bodies, args.clients, args.orders, args.seconds, count, meter
        )
        with psycopg.connect(args.database_url) as conn:
            result["dispatched"] = conn.execute(
                "SELECT count(*) FROM (SELECT step FROM workorders_workorder ORDER BY id DESC LIMIT %s) t "
                "WHERE step = 'dispatch'",
                (result["created"],),
            ).fetchone()[0]
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


# -- django-helpdesk -------------------------------------------------------------------------------------

HELPDESK_SETTINGS = """
import os

SECRET_KEY = "kefu-bench-helpdesk"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "hdproj.urls"
WSGI_APPLICATION = "hdproj.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["HELPDESK_DB"],
        "HOST": os.environ.get("HELPDESK_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("HELPDESK_DB_PORT", "5432"),
        "USER": os.environ.get("HELPDESK_DB_USER", "postgres"),
        "CONN_MAX_AGE": 600,
    }
}
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
HELPDESK_ACTIVATE_API_ENDPOINT = True  # the setting's name in django-helpdesk 0.x/1.x
HELPDESK_API_ENABLED = True  # and in 2.x
HELPDESK_TEAMS_MODE_ENABLED = False  # no pinax-teams
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"]}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
"""

HELPDESK_FILES = {
    "hdproj/__init__.py": "",
    "hdproj/settings.py": HELPDESK_SETTINGS,
    "hdproj/urls.py": (
        'from django.urls import include, path\n\nurlpatterns = [path("helpdesk/", include("helpdesk.urls", '
        'namespace="helpdesk"))]\n'
    ),
    "hdproj/wsgi.py": (
        "import os\n\nfrom django.core.wsgi import get_wsgi_application\n\n"
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdproj.settings")\napplication = get_wsgi_application()\n'
    ),
    "manage.py": (
        'import os\nimport sys\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdproj.settings")\n'
        "from django.core.management import execute_from_command_line\n\nexecute_from_command_line(sys.argv)\n"
    ),
}

HELPDESK_SETUP = """
from django.contrib.auth.models import User
from helpdesk.models import Queue
from rest_framework.authtoken.models import Token

bench, _ = User.objects.get_or_create(username="bench", defaults={"email": "bench@example.com"})
bench.is_staff = bench.is_superuser = True
bench.save()
handler, _ = User.objects.get_or_create(username="handler", defaults={"email": "handler@example.com"})
handler.is_staff = True
handler.save()
queue, _ = Queue.objects.get_or_create(slug="complaints", defaults={"title": "Complaints"})
token, _ = Token.objects.get_or_create(user=bench)
print("SETUP", token.key, queue.id, handler.id)
"""


def run_helpdesk(args) -> dict:
    venv = Path(args.helpdesk_venv)
    python = venv / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"no django-helpdesk virtualenv at {venv}: see the instructions at the top of this script")
    for name, text in HELPDESK_FILES.items():
        (HELPDESK_DIR / name).parent.mkdir(parents=True, exist_ok=True)
        (HELPDESK_DIR / name).write_text(text.lstrip("\n"))
    dsn = args.database_url.rsplit("/", 1)[0]
    dbname = args.helpdesk_database
    with psycopg.connect(dsn + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
            conn.execute(f'CREATE DATABASE "{dbname}"')
    env = {**os.environ, "HELPDESK_DB": dbname, "DJANGO_SETTINGS_MODULE": "hdproj.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(python), "manage.py", "migrate", "-v0"], cwd=HELPDESK_DIR, env=env, check=True)
    out = subprocess.run(
        [str(python), "manage.py", "shell", "-c", HELPDESK_SETUP],
        cwd=HELPDESK_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token, queue_id, handler_id = re.search(r"SETUP (\S+) (\d+) (\d+)", out).groups()
    port = args.port + 1
    server = subprocess.Popen(
        [str(venv / "bin" / "gunicorn"), "hdproj.wsgi:application", *gunicorn_flags(args, port)],
        cwd=HELPDESK_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/helpdesk/api/tickets/", server)
        bodies = [
            json.dumps(
                {
                    "queue": int(queue_id),
                    "title": "话费异常",
                    "description": "本月多扣 30 元，请核实",
                    "submitter_email": f"customer{i}@example.com",
                    "priority": 3,
                    "assigned_to": int(handler_id),
                },
                ensure_ascii=False,
            )
            for i in range(2000)
        ]

        counter = psycopg.connect(f"{dsn}/{dbname}", autocommit=True)

        def count() -> int:
            return counter.execute("SELECT count(*) FROM helpdesk_ticket").fetchone()[0]

        meter = CpuMeter(server.pid, dsn, dbname)
        return drive(
            port,
            "/helpdesk/api/tickets/",
            f"Token {token}",
            bodies,
            args.clients,
            args.orders,
            args.seconds,
            count,
            meter,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/kefu_bench_wo_api")
    parser.add_argument("--helpdesk-database", default="helpdesk_bench")
    parser.add_argument("--helpdesk-venv", default="/tmp/helpdesk-venv")
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=15, help="length of one wrk run")
    parser.add_argument("--port", type=int, default=8811)
    parser.add_argument("--only", choices=["kefu", "helpdesk"], help="run one side only")
    parser.add_argument(
        "--server",
        choices=["gunicorn", "serve"],
        default="gunicorn",
        help="Kefu under the same gunicorn (WSGI, gthread) as django-helpdesk, or `kefu serve` as shipped",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    results = {}
    for name, run in (("kefu", run_kefu), ("helpdesk", run_helpdesk)):
        if args.only in (None, name):
            print(f"{name}: creating {args.orders:,} with {args.clients} clients…", flush=True)
            results[name] = run(args)
            r = results[name]
            print(
                f"  {r['created']:,} in {r['seconds']:.1f} s = {r['rate']:.0f}/s  p50 {r['p50']:.0f} ms  "
                f"p99 {r['p99']:.0f} ms  errors {r['errors']}  CPU per request: server {r['app_ms']:.1f} ms, "
                f"PostgreSQL {r['db_ms']:.1f} ms" + (f"  dispatched {r['dispatched']:,}" if "dispatched" in r else ""),
                flush=True,
            )
    if len(results) == 2:
        k, h = results["kefu"], results["helpdesk"]
        ratio = k["rate"] / h["rate"]
        cpu_ratio = (h["app_ms"] + h["db_ms"]) / (k["app_ms"] + k["db_ms"])
        print(
            f"Kefu {k['rate']:.0f} orders/s vs django-helpdesk {h['rate']:.0f} tickets/s: {ratio:.2f}× "
            f"(target ≥ {TARGET:.0f}×); CPU per request (server + PostgreSQL) {k['app_ms'] + k['db_ms']:.1f} ms vs "
            f"{h['app_ms'] + h['db_ms']:.1f} ms: {cpu_ratio:.2f}× the capacity on the same cores"
        )


if __name__ == "__main__":
    main()
