"""Routes for assessors: calibration rounds against the agreed exemplars."""

from __future__ import annotations

from flask import Blueprint

from . import models  # noqa: F401  (the tables are part of the app's schema)

bp = Blueprint("calibration", __name__, url_prefix="/calibration")
