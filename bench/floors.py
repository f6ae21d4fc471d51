"""What a request costs before the page does its own work, as shares of the bare route (same run).

    .venv/bin/python -m bench.floors [--port 5190]

Fills a small bench database (bench/seed.py), serves bench/floor_app.py (the app plus two routes that do
almost nothing) and the bare route with gunicorn (4 sync workers each), and runs wrk (16 connections)
against the bare route and each of: the app's request handling alone, one `select 1` through the ORM
session, the sign-in lookup alone (signed in), the account page, the dashboard and a unit page. Two rounds;
prints each round's share of the bare route's requests per second and the p95 ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from . import run as bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--port", type=int, default=5190)
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args(argv)
    from lms.config import normalise_database_url
    server = make_url(normalise_database_url(args.server))
    name = f"lms_floor_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    instance = Path(tempfile.mkdtemp(prefix="lms-floor-"))
    base = f"http://127.0.0.1:{args.port}"
    processes = []
    try:
        ids = bench.prepare(url, instance, base, small=True)
        env = {**os.environ, "LMS_INSTANCE_PATH": str(instance), "LMS_DATABASE_URL": url,
               "LMS_PUBLIC_BASE_URL": base, "LMS_SECRET_KEY": (instance / "secret_key").read_text().strip()}
        processes.append(bench.gunicorn("bench.floor_app:app", args.port, 4, env))
        processes.append(bench.gunicorn("bench.bare:app", args.port + 1, 4, env))
        bench.wait_until_up(f"{base}/_floor")
        bench.wait_until_up(f"http://127.0.0.1:{args.port + 1}/")
        learner = ids["learner_cookie"]
        probes = [("request handling alone", "/_floor", None), ("one select 1 through the ORM session", "/_floor_db", None),
                  ("signed in: the sign-in lookup alone", "/_floor", learner), ("signed in: account page", "/account", learner),
                  ("signed in: dashboard", "/dashboard", learner), ("signed in: unit page", f"/units/{ids['unit_slug']}", learner)]
        print(f"\n| probe | share of bare req/s (round 1, 2) | p95 / bare p95 (round 1, 2) |\n| --- | --- | --- |")
        for label, path, cookie in probes:
            rounds = []
            for _ in range(2):
                bare = bench.wrk(f"http://127.0.0.1:{args.port + 1}/", None, args.seconds, 16)
                page = bench.wrk(base + path, cookie, args.seconds, 16)
                rounds.append((page["rps"] / bare["rps"], page["p95"] / bare["p95"]))
            print(f"| {label} | {rounds[0][0]:.0%}, {rounds[1][0]:.0%} | {rounds[0][1]:.1f}, {rounds[1][1]:.1f} |",
                  flush=True)
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        bench.tear_down(processes, admin, name, instance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
