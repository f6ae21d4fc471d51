"""The statistics pages and `assessment agreement`: who sees what, and the figures they show."""

from __future__ import annotations

import json

from lms.content_store import catalogue

from .conftest import signed_in


def test_agreement_json_lists_every_indicator_with_null_for_undefined_figures(app):
    result = app.test_cli_runner().invoke(args=["assessment", "agreement", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    with app.app_context():
        ids = [i.id for i in catalogue().framework.indicators]
    assert [r["indicator"] for r in rows] == ids
    assert all(set(r) == {"indicator", "pairs", "exact", "adjacent", "kappa", "alpha"} for r in rows)
    assert "NaN" not in result.output
    assert all(r["pairs"] == 0 and r["kappa"] is None and r["alpha"] is None for r in rows)


def test_statistics_page_is_for_lead_assessors_and_admins(app, make_user, learner, assessor_client, admin_client):
    lead = signed_in(app, make_user, "lead@example.org", "Lena Lead", "lead_assessor")
    assert learner.get("/statistics").status_code == 403
    assessor = signed_in(app, make_user, "plain@example.org", "Pat Plain", "assessor")  # not a lead assessor
    assert assessor.get("/statistics").status_code == 403
    for client in (lead, admin_client):
        page = client.get("/statistics").get_data(as_text=True)
        assert "Agreement by indicator" in page and "Agreement by assessor" in page and "Load" in page


def test_public_page_shows_indicators_and_turnaround_without_assessors(client):
    response = client.get("/agreement")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Agreement by indicator" in page and "Turnaround" in page
    assert "Agreement by assessor" not in page and "Load" not in page
