"""`./run demo --port N`, exactly as the README says, serves the system on that port; Ctrl-C stops everything it
started, and so does the death of any one of its children (a site whose worker is gone must not keep serving).

The two tests share one data folder, so the second start finds the database migrated and the demo loaded."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The first start builds twelve quarters of history through the services: ~100 s on a quiet 2-core machine, 200 s
# and more when other work shares it. This test is about serving and stopping, not the start's speed (measured in the
# closing notes): the wait is generous.
def _wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 480) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"./run demo exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"./run demo did not answer on {url} within {seconds}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def demo_dirs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


def _start_demo(dirs: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(LUOSHI_DATA_DIR=str(dirs / "var"), DJANGO_STATIC_ROOT=str(dirs / "static"))
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["./run", "demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/healthz", proc, log)
    except BaseException:
        _kill_group(proc)
        raise
    return proc, base


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _descendants(pid: int) -> dict[int, str]:
    """Every process below ``pid`` (Linux /proc), with its command line."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        child = int(stat.parent.name)
        parents[child], commands[child] = int(fields[1]), command
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found[child] = commands[child]
                frontier.append(child)
    return found


def _alive(pids: dict[int, str]) -> dict[int, str]:
    alive = {}
    for pid, command in pids.items():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if "State:\tZ" not in status:
            alive[pid] = command
    return alive


def _one(children: dict[int, str], needle: str) -> int:
    matches = [pid for pid, command in children.items() if needle in command]
    assert len(matches) == 1, f"one {needle!r} expected among {children}"
    return matches[0]


def test_run_demo_serves_the_chongqing_plan_to_a_demo_account_and_ctrl_c_stops_it_all(demo_dirs, tmp_path):
    log = tmp_path / "demo.log"
    proc, base = _start_demo(demo_dirs, log)
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_page = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode(
            {"username": "supervisor", "password": "luoshi-demo", "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/"})
        opener.open(request, timeout=10).read()
        page = opener.open(f"{base}/plans/cq-manufacturing-2023-2027/", timeout=30).read().decode()
        assert "轻合金材料" in page
        assert "智能网联新能源汽车" in page
        static = opener.open(f"{base}/static/css/luoshi.css", timeout=10)
        assert static.status == 200

        started = _descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
        returncode = proc.wait(timeout=60)
    except BaseException:
        _kill_group(proc)
        raise
    lines = log.read_text()
    assert "worker and beat started" in lines
    assert returncode == 0, lines[-2000:]
    assert "stopping" in lines
    assert not _alive(started), f"left running after Ctrl-C: {_alive(started)}"


def test_run_demo_stops_the_web_server_and_beat_when_the_worker_dies_and_says_which(demo_dirs, tmp_path):
    log = tmp_path / "demo.log"
    proc, _base = _start_demo(demo_dirs, log)
    try:
        started = _descendants(proc.pid)
        worker = _one(started, "celery -A config worker")
        _one(started, "celery -A config beat")
        assert any("gunicorn config.wsgi" in command for command in started.values())

        os.kill(worker, signal.SIGKILL)
        returncode = proc.wait(timeout=60)
    except BaseException:
        _kill_group(proc)
        raise
    lines = log.read_text()
    assert returncode == 1, lines[-2000:]
    assert f"the Celery worker (pid {worker}) exited" in lines
    assert not _alive(started), f"left running after the worker died: {_alive(started)}"
