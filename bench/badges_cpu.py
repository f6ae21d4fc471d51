"""CPU time of issuing one badge with all its artefacts, and of verifying a credential.

    .venv/bin/python -m bench.badges_cpu [--repeat 60]

Issuing: the signing and baking that issuing does for one badge (``sign_credential``: the 3.0
credential built and signed with eddsa-rdfc-2022, stored, and its PNG and two SVGs baked), on a
learner whose record holds the accepted levels. Verifying: ``verify`` of the stored credential
JSON and of the baked PNG, as /verify does. Each is timed with time.process_time over many
repetitions after a warm-up, on a throwaway SQLite database; the median is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def measure(repeat: int) -> dict[str, float]:
    instance = Path(tempfile.mkdtemp(prefix="lms-badge-cpu-"))
    os.environ["LMS_INSTANCE_PATH"] = str(instance)
    from lms import create_app
    from lms.badges import services
    from lms.badges.models import BadgeAssertion
    from lms.extensions import db

    from .seed import Scale, seed

    app = create_app({"DATABASE_URL": f"sqlite:///{instance / 'cpu.sqlite3'}",
                      "PUBLIC_BASE_URL": "http://127.0.0.1:5180"})
    results: dict[str, list[float]] = {"issue (sign and bake one badge)": [], "verify credential JSON": [],
                                       "verify baked PNG": []}
    with app.app_context():
        db.create_all()
        seed(Scale(learners=20, versions=120, waiting=30, badges=20), sign=1)
        with app.test_request_context():
            assertion = db.session.execute(db.select(BadgeAssertion).order_by(BadgeAssertion.id)).scalars().first()
            for n in range(repeat + 5):
                start = time.process_time()
                services.sign_credential(assertion)
                db.session.flush()
                spent = time.process_time() - start
                if n >= 5:  # the first signings warm caches (the contexts, the key)
                    results["issue (sign and bake one badge)"].append(spent)
            db.session.commit()
            credential = assertion.credential_json
            png = services.baked_image(assertion, "png")
            for label, data in (("verify credential JSON", credential), ("verify baked PNG", png)):
                for n in range(repeat + 5):
                    start = time.process_time()
                    outcome = services.verify(data)
                    spent = time.process_time() - start
                    assert outcome.status == "valid", (label, outcome.status)
                    if n >= 5:
                        results[label].append(spent)
    return {label: statistics.median(times) * 1000 for label, times in results.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args(argv)
    load = os.getloadavg()
    for label, ms in measure(args.repeat).items():
        print(f"{label}: {ms:.1f} ms CPU (median of {args.repeat})")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
