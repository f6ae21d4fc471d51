"""Routes that publish the framework: pages with stable URLs, and a CASE 1.1 package."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from ..content_store import catalogue
from ..domain.case import build_case_package
from ..urls import public_url

bp = Blueprint("framework", __name__, url_prefix="/framework")


@bp.get("")
def overview():
    """Every domain, competency and indicator on one page."""
    cat = catalogue()
    return render_template("framework/overview.html", framework=cat.framework, catalogue=cat)


@bp.get("/case.json")
def case_package():
    """The framework as a 1EdTech CASE 1.1 CFPackage."""
    package_url = public_url("framework.case_package")

    def url(kind: str, key: str) -> str:
        if kind == "item":
            return public_url("framework.node", node_id=key)
        if kind == "framework":
            return public_url("framework.overview")
        if kind in ("document", "package"):
            return package_url
        return f"{package_url}#{key}"

    response = current_app.json.response(build_case_package(catalogue().framework, url))
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data other systems may import
    response.headers["Content-Disposition"] = 'inline; filename="mcf-case.json"'
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.get("/<node_id>")
def node(node_id: str):
    """The page of one domain, competency or indicator, at a URL that never changes."""
    cat = catalogue()
    framework = cat.framework
    if (domain := framework.domain(node_id)) is not None:
        return render_template("framework/domain.html", framework=framework, domain=domain, catalogue=cat)
    if (competency := framework.competency(node_id)) is not None:
        return render_template("framework/competency.html", framework=framework, competency=competency,
                               domain=framework.domain(competency.domain_id), catalogue=cat)
    if (indicator := framework.indicator(node_id)) is not None:
        competency = framework.competency(indicator.competency_id)
        return render_template("framework/indicator.html", framework=framework, indicator=indicator,
                               competency=competency, domain=framework.domain(indicator.domain_id),
                               units=cat.units_for_indicator(indicator.id), catalogue=cat)
    upper = node_id.upper()  # /framework/com.4 is a typing slip for /framework/COM.4
    if upper != node_id and any(find(upper) for find in (framework.domain, framework.competency,
                                                         framework.indicator)):
        return redirect(url_for("framework.node", node_id=upper), 301)
    abort(404)
