"""`kefu serve` with several worker processes is correct only with the Redis channel layer: desktops
whose WebSockets are held by different workers each get their own calls from the router (another
process). Without REDIS_URL, `serve` refuses to run several workers."""

from __future__ import annotations

import contextlib
import json
import subprocess
import urllib.request
import uuid

import pytest
from websockets.sync.client import connect

from tests.contact import live

pytestmark = pytest.mark.django_db(transaction=True)

AGENTS = 6


def _serve(env, port, workers, log):
    return subprocess.Popen(
        [live.PYTHON, "-m", "kefu", "serve", "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        env=env,
        cwd=live.ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def test_desktops_on_different_workers_get_their_calls_through_redis(server_db, tmp_path):
    redis = live.redis_or_skip()
    code = f"w{uuid.uuid4().hex[:8]}"
    seeded = live.seed(server_db, "seed_sessions", code, AGENTS)
    port = live.free_port()
    env = live.child_env(server_db, REDIS_URL=live.REDIS_URL, KEFU_DATA_DIR=str(tmp_path))
    processes = []
    sockets = []
    logs = [open(tmp_path / name, "w+") for name in ("serve.log", "router.log")]  # noqa: SIM115
    stack = contextlib.ExitStack()
    try:
        processes.append(_serve(env, port, 2, logs[0]))
        processes.append(
            subprocess.Popen(
                [live.PYTHON, "-m", "kefu", "router", "--centre", code],
                env=env,
                cwd=live.ROOT,
                stdout=logs[1],
                stderr=subprocess.STDOUT,
            )
        )
        live.wait_for_port(port, processes[0])
        base = f"http://127.0.0.1:{port}"

        def desktop(agent: str):
            ws = stack.enter_context(
                connect(
                    f"ws://127.0.0.1:{port}/ws/desktop/",
                    additional_headers={"Cookie": f"sessionid={seeded['sessions'][agent]}", "Origin": base},
                    open_timeout=10,
                )
            )
            hello = json.loads(ws.recv(timeout=10))
            assert hello["type"] == "hello" and hello["agent"] == agent
            return ws, hello["server"]

        servers = {}
        for i in range(AGENTS):
            ws, pid = desktop(f"a{i:02d}")
            sockets.append(ws)
            servers.setdefault(pid, []).append(f"a{i:02d}")
        extra = 0
        while len(servers) < 2 and extra < 30:  # the kernel spreads connections over the workers
            ws, pid = desktop("a00")
            sockets.append(ws)
            servers.setdefault(pid, [])
            extra += 1
        assert len(servers) == 2, "both workers hold WebSockets"

        def post(event: dict) -> dict:
            request = urllib.request.Request(
                f"{base}/api/v1/cti/{code}/events",
                json.dumps(event).encode(),
                {"Content-Type": "application/json", "Authorization": f"Bearer {seeded['token']}"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200  # the router answered within the wait
                return json.loads(response.read())

        for i in range(AGENTS):
            post({"type": "agent.login", "agent": f"a{i:02d}"})
            post({"type": "agent.state", "agent": f"a{i:02d}", "state": "ready"})
        assigned = {}
        for n in range(AGENTS):
            result = post({"type": "call.offered", "call": f"{code}.{n}", "group": seeded["group"]})
            message = next(m for m in result["messages"] if m["type"] == "call.assigned")
            assigned[message["agent"]] = message["call"]
        assert len(assigned) == AGENTS

        # every desktop, whichever worker holds its socket, pops its own call
        for ws in sockets[:AGENTS]:
            agent = None
            while True:
                message = json.loads(ws.recv(timeout=10))
                if message["type"] == "call.assigned":
                    agent = message["agent"]
                    break
            assert assigned[agent] == message["call"]
    finally:
        stack.close()
        for process in processes:
            process.terminate()
            process.wait(timeout=15)
        for log in logs:
            log.close()
        redis.delete(*(f"kefu:cti:{code}:{name}" for name in ("in", "out", "snapshot")))


def test_without_redis_serve_runs_one_worker(tmp_path):
    port = live.free_port()
    env = live.child_env(f"sqlite:///{tmp_path}/x.sqlite3", REDIS_URL="", KEFU_DATA_DIR=str(tmp_path))
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115
    server = _serve(env, port, 3, log)
    try:
        live.wait_for_port(port, server)
        children = (live.Path(f"/proc/{server.pid}/task/{server.pid}/children")).read_text().split()
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
    assert children == []  # uvicorn serves in its own process: no worker processes
    assert "REDIS_URL" in (tmp_path / "serve.log").read_text()
