"""The yardstick: a bare Flask route, served the same way as the app, in the same run."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    """As little as Flask can do for a request."""
    return "ok"
