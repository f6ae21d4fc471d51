"""`make bench`: the app at scale on PostgreSQL against a bare Flask route, served the same way.

Creates a throwaway PostgreSQL database, fills it (bench/seed.py), serves the app and a bare
Flask app with gunicorn (4 sync workers each), runs the same wrk load (16 connections) against
both, interleaved, for three rounds, prints requests per second, p50, p95 and the ratio to the
bare route for every page, and drops the database. Absolute times differ from machine to machine
and run to run; the ratios to the bare route measured in the same run are what to compare.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Flask-Login ties a sign-in to the browser's address and User-Agent: a request from another "browser"
# marks the session not fresh and writes the cookie again. wrk and the sign-in present the same one.
USER_AGENT = "lms-bench"
LINE = re.compile(r"BENCH rps=([\d.]+) p50=([\d.]+) p95=([\d.]+) requests=(\d+) errors=(\d+)")


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"nothing answers at {url}")


def gunicorn(target: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", target], env=env, cwd=ROOT, start_new_session=True)


def wrk(url: str, cookie: str | None, seconds: int, connections: int) -> dict:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
               "-H", f"User-Agent: {USER_AGENT}",
               "-s", str(HERE / "latency.lua"), url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = LINE.search(out)
    if not match:
        raise SystemExit(f"wrk printed no result for {url}:\n{out}")
    rps, p50, p95, requests, errors = match.groups()
    return {"rps": float(rps), "p50": float(p50), "p95": float(p95), "requests": int(requests),
            "errors": int(errors)}


def prepare(database_url: str, instance: Path, base_url: str, small: bool) -> dict:
    """Migrate and fill the database in this process; sign in the bench learner and assessor."""
    os.environ["LMS_INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from lms import create_app
    from lms.extensions import db

    from .seed import Scale, seed

    app = create_app({"DATABASE_URL": database_url, "PUBLIC_BASE_URL": base_url})
    with app.app_context():
        upgrade()
        started = time.monotonic()
        scale = Scale(learners=500, versions=5_000, waiting=1_700, badges=250) if small else Scale()
        ids = seed(scale)
        ids["seconds_to_seed"] = round(time.monotonic() - started, 1)
        db.engine.dispose()
    for who in ("learner", "assessor"):
        ids[f"{who}_cookie"] = sign_in(app, ids[f"{who}_email"], ids["password"])
    return ids


def sign_in(app, email: str, password: str) -> str:
    """The session cookie of a real sign-in through the login form."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": password})
    if response.status_code != 302:
        raise SystemExit(f"bench sign-in failed for {email}: {response.status_code}")
    # The first page with a form adds its CSRF secret to the session cookie: take the cookie as a browser
    # holds it from then on (wrk sends the same one every time and ignores what the app sets).
    client.get("/account")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return f"{cookie.key}={cookie.value}"


def pages(ids: dict) -> list[tuple[str, str, str | None]]:
    """(label, path, cookie) for every page measured."""
    learner, assessor, badge = ids["learner_cookie"], ids["assessor_cookie"], ids["badge_public_id"]
    return [
        ("account page (sign-in lookup, small template)", "/account", learner),
        ("learner dashboard", "/dashboard", learner),
        ("unit page", f"/units/{ids['unit_slug']}", learner),
        ("portfolio", "/evidence", learner),
        ("my badges", "/my/badges", learner),
        ("assessor queue", "/assess", assessor),
        # The same page at an address of its own each time (bench/latency.lua): what it costs when nothing kept can answer.
        ("assessor queue, built every time", "/assess?fresh=__N__", assessor),
        ("hosted OB 2.0 assertion", f"/badges/assertions/{badge}", None),
        ("baked PNG", f"/badges/assertions/{badge}/baked.png", None),
        ("OB 3.0 credential", f"/badges/credentials/{badge}.json", None),
        ("public badge page", f"/b/{badge}", None),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--seconds", type=int, default=8, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--small", action="store_true", help="a twentieth of the data, for a quick look")
    parser.add_argument("--only", default="", help="measure only pages whose label contains this")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 0)),
                        help="serve the app on this port and the bare route on the next (default: any free ports)")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does this)")

    from lms.config import normalise_database_url
    server = make_url(normalise_database_url(args.server))
    name = f"lms_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = server.set(database=name).render_as_string(hide_password=False)
    instance = Path(tempfile.mkdtemp(prefix="lms-bench-"))
    app_port, bare_port = (args.port, args.port + 1) if args.port else (free_port(), free_port())
    base_url = f"http://127.0.0.1:{app_port}"
    processes = []
    try:
        print(f"Filling {name} ...", flush=True)
        ids = prepare(database_url, instance, base_url, args.small)
        print(f"  {ids['counts']} in {ids['seconds_to_seed']} s ({ids['signed']} badges signed and baked)",
              flush=True)
        env = {**os.environ, "LMS_INSTANCE_PATH": str(instance), "LMS_DATABASE_URL": database_url,
               "LMS_PUBLIC_BASE_URL": base_url}
        secret = (instance / "secret_key").read_text().strip()
        env["LMS_SECRET_KEY"] = secret
        processes.append(gunicorn("lms:create_app()", app_port, args.workers, env))
        processes.append(gunicorn("bench.bare:app", bare_port, args.workers, env))
        wait_until_up(f"{base_url}/framework")
        wait_until_up(f"http://127.0.0.1:{bare_port}/")
        measured = [p for p in pages(ids) if args.only in p[0]]
        for label, path, cookie in measured:  # warm up, and make sure every page answers 200
            request = urllib.request.Request(base_url + path, headers={"User-Agent": USER_AGENT,
                                                                       **({"Cookie": cookie} if cookie else {})})
            try:
                status = urllib.request.urlopen(request, timeout=120).status
            except urllib.error.HTTPError as exc:
                status = exc.code
            if status != 200:
                raise SystemExit(f"{label} ({path}) answered {status}")
        results: dict[str, list[tuple[dict, dict]]] = {label: [] for label, _, _ in measured}
        for round_number in range(1, args.rounds + 1):
            print(f"Round {round_number} of {args.rounds} ...", flush=True)
            for label, path, cookie in measured:
                bare = wrk(f"http://127.0.0.1:{bare_port}/", None, args.seconds, args.connections)
                page = wrk(base_url + path, cookie, args.seconds, args.connections)
                results[label].append((bare, page))
        report(results, args, ids)
    finally:
        tear_down(processes, admin, name, instance)
    return 0


def tear_down(processes: list[subprocess.Popen], admin, name: str, instance: Path) -> None:
    """Stop the servers, drop the throwaway database and delete the instance folder."""
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for process in processes:
        process.wait(timeout=30)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    shutil.rmtree(instance, ignore_errors=True)


def report(results: dict, args, ids: dict) -> None:
    """Print the table: medians over rounds, and each page's ratio to the bare route measured beside it."""
    load = os.getloadavg()
    print(f"\n{ids['counts']['learners']:,} learners, {ids['counts']['versions']:,} evidence versions "
          f"({ids['counts']['waiting']:,} waiting), {ids['counts']['badges']:,} badges; gunicorn {args.workers} "
          f"sync workers; wrk {args.connections} connections, {args.seconds} s x {args.rounds} rounds; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| page | req/s | p50 ms | p95 ms | bare req/s | bare p95 ms | share of bare req/s | p95 / bare p95 | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, runs in results.items():
        rps = statistics.median(p["rps"] for _, p in runs)
        p50 = statistics.median(p["p50"] for _, p in runs)
        p95 = statistics.median(p["p95"] for _, p in runs)
        bare_rps = statistics.median(b["rps"] for b, _ in runs)
        bare_p95 = statistics.median(b["p95"] for b, _ in runs)
        share = statistics.median(p["rps"] / b["rps"] for b, p in runs)
        p95_ratio = statistics.median(p["p95"] / b["p95"] for b, p in runs)
        errors = sum(p["errors"] for _, p in runs)
        print(f"| {label} | {rps:,.0f} | {p50:.1f} | {p95:.1f} | {bare_rps:,.0f} | {bare_p95:.1f} | "
              f"{share:.1%} | {p95_ratio:.1f} | {errors} |")


if __name__ == "__main__":
    sys.exit(main())
