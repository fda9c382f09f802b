"""Leadership benchmark: the server time of the 五色图 and the ranking at province scale, and the map painted in
Chromium.

    python -m bench.bench_leadership [--tasks 5000] [--quarters 4] [--requests 50] [--paints 10] [--profile]

Runs on the database DATABASE_URL names (SQLite by default, in a file: the server of step 4 opens it too), in a
throwaway test database:

1. loads the units and imports the generated plan (bench.generate: 81 units with a track, 5,000 tasks), writes
   ``--quarters`` past quarterly rounds of approved reports straight into the tables (bench.bench_evaluation's
   ``fill_history``);
2. carries a 赛马比拼 round of every one of those quarters through the evaluation services, oldest first, as a
   supervisor and a leader would (start → compute → open appeals → submit → approve → publish): the last round has
   rank changes against the one before and sparklines over all of them;
3. times ``--requests`` requests (after 3 warm-ups; the rows in turns, so a change of load hits every row alike) of
   the map (``/map/?evaluation=``), the ranking (``/evaluations/<id>/``), the big screen and the bulletin (page and
   PDF) of the last round, signed in as a leader with Django's test client, beside two baselines in the same run:
   ``/healthz`` (the framework's floor) and ``/units/`` (a light signed-in page); then the parts of the map alone
   (its selector, the whole template, the SVG template): what the page costs above the floor and where;
4. starts the app as ``./run demo`` serves it (gunicorn, 2 workers × 4 threads, whitenoise, collected static files)
   on the same database, signs the leader in through the login page in Chromium (Playwright, /usr/bin/chromium) and
   navigates ``--paints`` times to the map, the ranking and ``/units/`` (the baseline), in turns; reads the
   navigation timing, the first contentful paint and the map painted: the first frame after DOMContentLoaded, by
   which time the whole ``svg.cq-map`` is in the DOM (measured as a message posted from a requestAnimationFrame
   callback, so after that frame's paint), all in ms since the navigation started. Without /usr/bin/chromium this
   step is skipped and says so.

Prints one table with the targets: map and ranking p95 ≤ 200 ms (server), map painted p95 ≤ 1 s (Chromium). Speed is
measured, not asserted: compare each row with the baselines of its own run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
import warnings
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import count_queries, fmt, percentiles, setup_django, throwaway_database, timed

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-leadership-pw"  # the throwaway leader's, for the browser's sign-in
WARM_UPS = 3
SERVER_TARGET_MS = 200
PAINT_TARGET_MS = 1000

# Run before any script of each page (Playwright injects it through the DevTools protocol, so the site's CSP, which
# allows no inline script, stays as it is). At DOMContentLoaded the parser has put the whole SVG in the DOM and the
# stylesheet has arrived (the deferred map.js waits for it, and DOMContentLoaded for map.js); the first frame after
# it draws the map, and the next frame's requestAnimationFrame runs once that frame is produced. The map is painted
# at the later of that moment and the first contentful paint (Chromium stamps it when the frame is presented, which
# can come after the next frame has begun).
PAINT_MARKER = """
document.addEventListener("DOMContentLoaded", () => {
  window.__benchMap = document.querySelector("svg.cq-map") !== null;
  requestAnimationFrame(() => requestAnimationFrame(() => { window.__benchFrame = performance.now(); }));
});
"""

READ_TIMINGS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const ready = window.__benchFrame !== undefined && nav.loadEventEnd > 0 && fcp !== undefined;
  return {ready, ttfb: nav.responseStart, response: nav.responseEnd, dcl: nav.domContentLoadedEventEnd,
          load: nav.loadEventEnd, fcp: fcp ? fcp.startTime : null,
          painted: Math.max(window.__benchFrame, fcp ? fcp.startTime : 0),
          map: window.__benchMap, kb: nav.decodedBodySize / 1024};
}"""


def publish_rounds(plan, supervisor, leader) -> list:
    """A round of every quarter the plan has reports for, oldest first, carried through the evaluation services to
    publication (each compares itself with the one published before). Returns them, oldest first."""
    from django.utils import timezone

    from evaluation import services
    from evaluation.models import Evaluation
    from tasks.models import ReportingRound

    today = timezone.localdate()
    published = []
    for period in ReportingRound.objects.filter(plan=plan).order_by("period_start").values_list("period", flat=True):
        evaluation = services.evaluation_start(actor=supervisor, plan_id=plan.pk, period=period, today=today)
        evaluation.refresh_from_db()
        if evaluation.status == Evaluation.Status.COMPUTING:  # the job runs inline on commit under test settings
            services.evaluation_compute(evaluation_id=evaluation.pk)
        evaluation = services.evaluation_open_appeals(actor=supervisor, evaluation_id=evaluation.pk, version=None,
                                                      today=today)  # fmt: skip
        services.evaluation_submit(actor=supervisor, evaluation_id=evaluation.pk, version=None,
                                   today=evaluation.appeal_deadline + timedelta(days=1))  # fmt: skip
        services.evaluation_approve(actor=leader, evaluation_id=evaluation.pk, version=None)
        published.append(services.evaluation_publish(actor=supervisor, evaluation_id=evaluation.pk, version=None))
    return published


def personas():
    """A supervisor and a leader of 市政府办公厅; the leader's password in the hasher the server uses (the default,
    PBKDF2: the test settings the bench runs under list only MD5)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.contrib.auth.models import User

    from units.models import Membership, Unit

    office = Unit.objects.get(short_name="市政府办公厅")
    supervisor = User.objects.create_user("bench-supervisor")
    Membership.objects.create(user=supervisor, unit=office, role=Membership.Role.SUPERVISOR)
    leader = User.objects.create_user("bench-leader")
    hasher = PBKDF2PasswordHasher()
    leader.password = hasher.encode(PASSWORD, hasher.salt())
    leader.save(update_fields=["password"])
    Membership.objects.create(user=leader, unit=office, role=Membership.Role.LEADER)
    return supervisor, leader


def server_times(client, urls: dict[str, str], requests: int, *, in_process: dict | None = None) -> dict:
    """p50/p95 of ``requests`` requests of each URL (and calls of each ``in_process`` function), taken in turns after
    ``WARM_UPS`` each; the queries and the body size of one request."""
    in_process = in_process or {}
    samples: dict[str, list[float]] = {name: [] for name in (*urls, *in_process)}
    queries, sizes = {}, {}
    for name, url in urls.items():
        for _ in range(WARM_UPS):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        with count_queries() as counted:
            response = client.get(url)
        queries[name], sizes[name] = counted.n, len(response.content) / 1024
    for name, fn in in_process.items():
        for _ in range(WARM_UPS):
            fn()
        with count_queries() as counted:
            result = fn()
        queries[name], sizes[name] = counted.n, (len(result) / 1024 if isinstance(result, str | bytes) else None)
    for _ in range(requests):
        for name, url in urls.items():
            samples[name].append(timed(lambda url=url: client.get(url))[0])
        for name, fn in in_process.items():
            samples[name].append(timed(fn)[0])
    return {name: (percentiles(samples[name]), queries[name], sizes[name]) for name in samples}


def profile_requests(client, urls: dict[str, str], n: int = 10) -> None:
    import cProfile
    import pstats

    for name, url in urls.items():
        profile = cProfile.Profile()
        profile.runcall(lambda url=url: [client.get(url) for _ in range(n)])
        print(f"\n--- cProfile of {n} × {name} (cumulative) ---")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        print(f"--- cProfile of {n} × {name} (own time) ---")
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)


# -- the app served for real, and Chromium ---------------------------------------------------------------------------


def database_url_for_server(sqlite_file: Path) -> str:
    """The throwaway database as a DATABASE_URL another process can open."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"sqlite:///{sqlite_file}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(database_url: str, tmp: Path) -> tuple[subprocess.Popen, str, float]:
    """Collect the static files and start gunicorn as ``./run demo`` does (dev settings, 2 workers × 4 threads) on
    the bench's database; wait for ``/healthz``. Returns the process (its own session: stop it with
    :func:`stop`), the base URL and the seconds collectstatic took."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DATABASE_URL": database_url,
           "LUOSHI_DATA_DIR": str(tmp / "data"), "DJANGO_STATIC_ROOT": str(tmp / "static")}  # fmt: skip
    collect_s, _ = timed(lambda: subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=REPO, env=env,
        check=True))  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--log-level", "warning"],
        cwd=REPO, env=env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            stop(server)
            raise RuntimeError(f"gunicorn did not answer /healthz on {base} (exit status {server.poll()})")
        time.sleep(0.2)
    return server, base, collect_s


def stop(server: subprocess.Popen) -> None:
    """Stop the server this bench started: its process group (the gunicorn master and its workers)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def paint_times(base: str, username: str, urls: dict[str, str], paints: int, *, expect_map: set[str]) -> dict:
    """Sign in through the login page, then navigate to each URL ``paints`` times (in turns, after one warm-up
    each); the timings of every navigation, in ms since it started."""
    from playwright.sync_api import sync_playwright

    from tests.support import CHROMIUM, CHROMIUM_ARGS

    samples: dict[str, list[dict]] = {name: [] for name in urls}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
            context.add_init_script(PAINT_MARKER)
            page = context.new_page()
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.press("input[name=password]", "Enter")
            page.wait_for_url("**/map/**")  # a leader lands on the map

            def visit(name: str, url: str) -> dict:
                page.goto(base + url, wait_until="load")
                deadline = time.monotonic() + 30
                while not (timings := page.evaluate(READ_TIMINGS))["ready"]:  # not wait_for_function: CSP forbids eval
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{url}: no paint or load seen in 30 s ({timings})")
                    time.sleep(0.01)
                if name in expect_map and not timings["map"]:
                    raise RuntimeError(f"{url}: no svg.cq-map on the page (are the boundaries installed?)")
                return timings

            for name, url in urls.items():
                visit(name, url)
            for _ in range(paints):
                for name, url in urls.items():
                    samples[name].append(visit(name, url))
        finally:
            browser.close()
    return samples


def _p50_p95(values_ms: list[float]) -> tuple[float, float]:
    if len(values_ms) == 1:
        return values_ms[0], values_ms[0]
    stats = percentiles([value / 1000 for value in values_ms])
    return stats["p50"], stats["p95"]


def _p95(values_ms: list[float]) -> float:
    return _p50_p95(values_ms)[1]


def _ms(values: list[float | None]) -> str:
    present = [value for value in values if value is not None]
    if not present:
        return f"{'n/a':>15}"
    p50, p95 = _p50_p95(present)
    return f"{p50:6.0f} / {p95:6.0f}"


def _width(text: str) -> int:
    """Columns the text takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--quarters", type=int, default=4, help="past quarters of reports, each a published round")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per server row")
    parser.add_argument("--paints", type=int, default=10, help="navigations per page in Chromium (0: skip)")
    parser.add_argument("--profile", action="store_true", help="print the cProfile tops of the map and the ranking")
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # the jobs run inline and sign-ins are logged: not the table's
    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # WhiteNoise: static files are not collected
    setup_django()
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # Celery's eager jobs: "no hostname was supplied"

    from django.template.loader import render_to_string
    from django.test import Client, RequestFactory

    from bench.bench_evaluation import PLAN_CODE, fill_history
    from bench.generate import write
    from evaluation import leadership, selectors
    from evaluation.models import UnitResult
    from tasks.importing.apply import plan_import
    from tasks.models import Plan, PlanTask, Report
    from tests.support import CHROMIUM
    from units import boundaries
    from units.models import Unit
    from units.services import units_load

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-leadership-") as tmp_name:
        tmp = Path(tmp_name)
        sqlite_file = tmp / "bench.sqlite3"
        with throwaway_database(sqlite_file=sqlite_file) as vendor:
            units_load()
            plan_import(source=write(tmp / "province.yaml", tasks=args.tasks))
            plan = Plan.objects.get(code=PLAN_CODE)
            fill_s, counts = timed(lambda: fill_history(plan, args.quarters))
            supervisor, leader = personas()
            publish_s, rounds = timed(lambda: publish_rounds(plan, supervisor, leader))
            evaluation = rounds[-1]
            results = UnitResult.objects.filter(evaluation=evaluation)
            with_track = Unit.objects.filter(active=True, track__isnull=False)
            missing = sorted(with_track.exclude(pk__in=results.values("unit_id")).values_list("short_name", flat=True))
            breakdown_kb = sum(len(json.dumps(b, ensure_ascii=False).encode()) for b in
                               results.values_list("breakdown", flat=True)) / 1024  # fmt: skip
            print(f"\nLeadership benchmark on {vendor}: {PlanTask.objects.filter(plan=plan).count()} tasks, "
                  f"{Report.objects.filter(round__plan=plan).count()} approved reports in {counts['rounds']} quarters "
                  f"(written in {fill_s:.1f} s); {len(rounds)} rounds published through the services in "
                  f"{publish_s:.1f} s ({', '.join(r.period for r in rounds)})", flush=True)
            print(f"  round {evaluation.period}: {results.count()} unit results ({with_track.count()} active units "
                  f"with a track{'; missing: ' + '、'.join(missing) if missing else ', all scored'}), "
                  f"{results.exclude(rank_change=None).exclude(rank_change=0).count()} with a rank change; "
                  f"breakdowns {breakdown_kb:.0f} kB in all; district boundaries "
                  f"{'installed' if boundaries.districts() is not None else 'NOT installed (tiles only)'}")

            client = Client()
            client.force_login(leader)
            e = evaluation.pk
            urls = {
                "/healthz (baseline: the floor)": "/healthz",
                "/units/ (baseline: a light signed-in page)": "/units/",
                "/map/?evaluation= (五色图)": f"/map/?evaluation={e}",
                "/evaluations/<id>/ (ranking)": f"/evaluations/{e}/",
                "/map/screen/?evaluation= (big screen)": f"/map/screen/?evaluation={e}",
                "/evaluations/<id>/bulletin/": f"/evaluations/{e}/bulletin/",
                "/evaluations/<id>/bulletin.pdf": f"/evaluations/{e}/bulletin.pdf",
            }
            targets = {"/map/?evaluation= (五色图)", "/evaluations/<id>/ (ranking)"}
            factory = RequestFactory()

            def request():
                made = factory.get(f"/map/?evaluation={e}")
                made.user = leader
                return made

            map_page = leadership.map_page(user=leader, evaluation_id=e)
            context = {"page": map_page, "track": "", "nav": "map", "sees_all": True}
            in_process = {
                "map selector alone (leadership.map_page)": lambda: leadership.map_page(user=leader, evaluation_id=e),
                "ranking selector alone (selectors.ranking_page)":
                    lambda: selectors.ranking_page(user=leader, evaluation_id=e),
                "map.html rendered alone (selector's page given)":
                    lambda: render_to_string("evaluation/map.html", context, request()),
                "_map_svg.html rendered alone": lambda: render_to_string("evaluation/_map_svg.html", context),
            }  # fmt: skip
            server = server_times(client, urls, args.requests, in_process=in_process)
            width = max(_width(name) for name in server)
            print(f"  server time, signed in as a leader (Django's test client, in process), {args.requests} each "
                  f"after {WARM_UPS} warm-ups, in turns:")
            for name, (stats, queries, size) in server.items():
                line = f"    {_pad(name, width)}  {fmt(stats)}  {queries:2d} queries"
                line += f"  {size:6.1f} kB" if size is not None else "           "
                if name in targets:
                    ok = stats["p95"] <= SERVER_TARGET_MS
                    line += f" — target p95 ≤ {SERVER_TARGET_MS} ms: {'met' if ok else 'MISSED'}"
                print(line, flush=True)
            if args.profile:
                profile_requests(client, {name: urls[name] for name in targets})

            if not args.paints:
                print("  paint in Chromium: skipped (--paints 0)")
            elif not CHROMIUM.exists():
                print(f"  paint in Chromium: skipped ({CHROMIUM} is missing: `apt-get install -y chromium`)")
            else:
                proc, base, collect_s = serve(database_url_for_server(sqlite_file), tmp)
                try:
                    pages = {
                        "/units/ (baseline)": "/units/",
                        "/map/?evaluation= (五色图)": f"/map/?evaluation={e}",
                        "/evaluations/<id>/ (ranking)": f"/evaluations/{e}/",
                    }
                    painted = paint_times(base, leader.username, pages, args.paints,
                                          expect_map={"/map/?evaluation= (五色图)"})  # fmt: skip
                finally:
                    stop(proc)
                print(f"  paint in Chromium ({CHROMIUM}, headless; gunicorn 2 × 4 threads, dev settings, static "
                      f"collected in {collect_s:.1f} s), {args.paints} navigations each after 1 warm-up, in turns; "
                      f"p50 / p95 ms since the navigation started (FCP: first contentful paint; DCL: DOMContentLoaded "
                      f"done; painted: the page's first frame after DCL on screen, the whole map on the map's):")
                columns = ("ttfb", "response", "fcp", "dcl", "painted", "load")
                heads = ("TTFB", "response end", "FCP", "DCL", "painted", "load end")
                pwidth = max(_width(name) for name in painted)
                print(f"    {'':<{pwidth}}  " + "  ".join(f"{head:>15}" for head in heads) + "      kB")
                for name, rows in painted.items():
                    cells = "  ".join(_ms([row[c] for row in rows]) for c in columns)
                    line = f"    {_pad(name, pwidth)}  {cells}  {rows[0]['kb']:6.1f}"
                    if "五色图" in name:
                        ok = _p95([row["painted"] for row in rows]) <= PAINT_TARGET_MS
                        line += f" — target map painted p95 ≤ {PAINT_TARGET_MS} ms: {'met' if ok else 'MISSED'}"
                    print(line)
            print(f"  load average (1, 5, 15 min): before {_load(load_before)}, after {_load(os.getloadavg())}")


if __name__ == "__main__":
    main()
