"""Real processes against a real database: the router (`kefu router`), the ASGI server (uvicorn).

`server_db` gives a database that another process can open, as a `DATABASE_URL`:
- on PostgreSQL, the test database itself (the test uses `transactional_db`, so what it writes is
  committed and other processes see it; it is emptied after the test);
- on SQLite (in memory for the other tests), a file: a copy of one migrated once per session.

`seed(url, function, *args)` runs a function of this module against that database: in this process
on PostgreSQL, in a child process on SQLite (this process cannot open the file through the ORM).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return client


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="kefu.settings",
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests for their own process only
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    if connection.vendor != "sqlite":
        return None
    path = tmp_path_factory.mktemp("livedb") / "template.sqlite3"
    env = child_env(f"sqlite:///{path}")
    subprocess.run([PYTHON, "-m", "kefu", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    return path


@pytest.fixture
def server_db(request, _sqlite_template, tmp_path):
    """A DATABASE_URL other processes can open (see the module docstring)."""
    if connection.vendor == "postgresql":
        request.getfixturevalue("transactional_db")
        s = connection.settings_dict
        user = s.get("USER") or "postgres"
        host = s.get("HOST") or "127.0.0.1"
        port = s.get("PORT") or 5432
        return f"postgresql://{user}@{host}:{port}/{s['NAME']}"
    path = tmp_path / "live.sqlite3"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


def seed(database_url: str, function: str, *args):
    """Run `function(*args)` of this module against the database; its JSON result."""
    if database_url.startswith("postgresql"):
        from django.conf import global_settings
        from django.test import override_settings

        # the servers hash with the default hashers, not with the fast one of the tests
        with override_settings(PASSWORD_HASHERS=global_settings.PASSWORD_HASHERS):
            return json.loads(json.dumps(globals()[function](*args)))
    code = (
        "import django, json, sys; django.setup(); "
        f"from tests.contact import live; print(json.dumps(live.{function}(*json.loads(sys.argv[1]))))"
    )
    done = subprocess.run(
        [PYTHON, "-c", code, json.dumps(args)],
        env=child_env(database_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05, what: str = "a condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    def up():
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    wait_for(up, timeout, what=f"port {port}")


# ---------------------------------------------------------------------------------------- seeds


def seed_centre(code: str, agents: int, auto_answer: bool = False) -> dict:
    """A centre with one skill group `g` and `agents` agents a00..aNN with that skill."""
    from django.contrib.auth.models import Group

    from kefu.contact.models import Agent, AgentSkill, ContactCentre, SkillGroup
    from kefu.core.models import User
    from kefu.demo import reference

    regions = reference.seed_regions()
    centre = ContactCentre.objects.create(code=code, name=code, region=regions["xian"], auto_answer=auto_answer)
    group = SkillGroup.objects.create(centre=centre, code=f"{code}-g", name="g", region=regions["xian"])
    role = Group.objects.get(name="agent")
    for i in range(agents):
        user = User.objects.create_user(username=f"{code}-a{i:02d}", password="x", region=regions["xian"])
        user.groups.add(role)
        agent = Agent.objects.create(user=user, centre=centre, code=f"a{i:02d}")
        AgentSkill.objects.create(agent=agent, group=group, level=1)
    return {"centre": code, "group": group.code}


def router_counts(code: str) -> dict:
    from kefu.contact.models import Contact, RouterCheckpoint, RouterEvent, RouterState

    state = RouterState.objects.get(centre__code=code)
    return {
        "log_seq": state.log_seq,
        "events": RouterEvent.objects.filter(centre__code=code).count(),
        "checkpoints": RouterCheckpoint.objects.filter(centre__code=code).count(),
        "first_event": RouterEvent.objects.filter(centre__code=code)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first(),
        "oldest_checkpoint": RouterCheckpoint.objects.filter(centre__code=code)
        .order_by("log_seq")
        .values_list("log_seq", flat=True)
        .first(),
        "contacts": Contact.objects.filter(centre__code=code).count(),
        "open_contacts_per_agent": max(
            [
                Contact.objects.filter(centre__code=code, ended_at__isnull=True, agent_id=a).count()
                for a in Contact.objects.filter(centre__code=code).values_list("agent_id", flat=True).distinct()
                if a is not None
            ],
            default=0,
        ),
    }


def router_state(code: str) -> dict:
    """The routing state rebuilt from the database (checkpoint + log), as a restarted router has it."""
    from kefu.contact.router import RouterCore

    snapshot = RouterCore.for_code(code).engine.snapshot()
    return {
        "agents": {a: [s["state"], s["call"]] for a, s in snapshot["agents"].items()},
        "calls": {c: [s["state"], s["agent"]] for c, s in snapshot["calls"].items()},
        "queues": {g: s["queue"] for g, s in snapshot["groups"].items()},
    }


def seed_desktop(code: str, password: str) -> dict:
    """A centre with agents p001 (agent.pop) and p002 (agent.pop2) in group `general`, a switch account,
    a known customer."""
    import datetime as dt

    from django.contrib.auth.models import Group

    from kefu.contact.models import Agent, AgentSkill, ContactCentre, SkillGroup, WrapUpCode
    from kefu.core.models import User
    from kefu.customers.models import Subscriber
    from kefu.demo import reference

    regions = reference.seed_regions()
    plans = reference.seed_price_plans()
    centre = ContactCentre.objects.create(code=code, name="西安 10086", region=regions["xian"])
    group = SkillGroup.objects.create(centre=centre, code="general", name="综合", region=regions["xian"])
    WrapUpCode.objects.create(code="bill_inquiry", name="查询话费账单")
    users = {}
    for username, role, region, name in (
        ("agent.pop", "agent", "xian", "李娜"),
        ("agent.pop2", "agent", "xian", "王芳"),  # the colleague consulted in the consult test
        ("switch.pop", "switch", "shaanxi", "李娜"),
    ):
        user = User.objects.create_user(username=username, password=password, region=regions[region])
        user.data_scope = "province" if role == "switch" else "city"
        user.first_name = name
        user.save()
        user.groups.add(Group.objects.get(name=role))
        users[username] = user
    for username, code in (("agent.pop", "p001"), ("agent.pop2", "p002")):
        agent = Agent.objects.create(user=users[username], centre=centre, code=code)
        AgentSkill.objects.create(agent=agent, group=group, level=1)
    subscriber = Subscriber.objects.create(
        msisdn="13912345678",
        name="陈静",
        id_number="610113199001011234",
        address="陕西省西安市雁塔区小寨东路 1 号",
        brand="gotone",
        price_plan=plans["gotone-128"],
        region=regions["xian-yanta"],
        join_date=dt.date(2015, 3, 1),
        vip_tier="gold",
        points_balance=1200,
    )
    return {"msisdn": subscriber.msisdn, "subscriber": subscriber.pk}


def seed_sessions(code: str, agents: int) -> dict:
    """seed_centre + a logged-in session per agent and an API token of a switch account."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    from kefu.contact.models import Agent
    from kefu.core.models import User
    from kefu.core.services import issue_token

    seeded = seed_centre(code, agents)
    sessions = {}
    for agent in Agent.objects.filter(centre__code=code).select_related("user"):
        store = SessionStore()
        store[SESSION_KEY] = str(agent.user.pk)
        store[BACKEND_SESSION_KEY] = "kefu.core.backends.StaffBackend"
        store[HASH_SESSION_KEY] = agent.user.get_session_auth_hash()
        store.create()
        sessions[agent.code] = store.session_key
    switch = User.objects.create_user(username=f"{code}-switch", password="x", data_scope="all")
    switch.groups.add(Group.objects.get(name="switch"))
    return {**seeded, "sessions": sessions, "token": issue_token(switch)}
