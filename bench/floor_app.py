"""The app with two routes that do almost nothing, to measure what every request costs before a page does
its own work (bench/floors.py): one answers at once, one sends ``select 1`` through the ORM session."""

from lms import create_app
from lms.extensions import db

app = create_app()


@app.get("/_floor")
def floor():
    """Nothing but the app's own request handling (and, signed in, the sign-in lookup)."""
    return "ok"


@app.get("/_floor_db")
def floor_db():
    """One round trip to the database through the ORM session."""
    return str(db.session.execute(db.text("select 1")).scalar())
