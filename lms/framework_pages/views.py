"""Routes that publish the framework: pages with stable URLs, a CASE 1.1 package and the CASE 1.1 REST API."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from ..content_store import catalogue
from ..domain.case import CaseService, build_case_package, unknown_object
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
    response = current_app.json.response(case_service().package)
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


# --- CASE 1.1 REST: what OpenSALT and other CASE consumers read ---------------------------------------------

case_bp = Blueprint("case", __name__, url_prefix="/ims/case/v1p1")
_services: dict[str, CaseService] = {}


def _case_url(kind: str, key: str) -> str:
    if kind == "framework":
        return public_url("framework.overview")
    endpoint = {"document": "case.document", "package": "case.package", "item": "case.item",
                "association": "case.association", "item_type": "case.item_type"}[kind]
    return public_url(endpoint, identifier=key)


def case_service() -> CaseService:
    """The package and its REST answers, built once per public address (the content never changes
    while the app runs)."""
    base = public_url("framework.overview")
    service = _services.get(base)
    if service is None:
        service = _services[base] = CaseService(build_case_package(catalogue().framework, _case_url), _case_url)
    return service


def _case_json(document: dict | None, identifier: str = ""):
    response = current_app.json.response(document if document is not None else unknown_object(identifier))
    response.status_code = 200 if document is not None else 404
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data other systems may import
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@case_bp.get("/CFDocuments")
def documents():
    """getAllCFDocuments."""
    return _case_json(case_service().documents())


@case_bp.get("/CFDocuments/<identifier>")
def document(identifier: str):
    """getCFDocument."""
    return _case_json(case_service().document(identifier), identifier)


@case_bp.get("/CFPackages/<identifier>")
def package(identifier: str):
    """getCFPackage."""
    return _case_json(case_service().package_of(identifier), identifier)


@case_bp.get("/CFItems/<identifier>")
def item(identifier: str):
    """getCFItem."""
    return _case_json(case_service().item(identifier), identifier)


@case_bp.get("/CFAssociations/<identifier>")
def association(identifier: str):
    """getCFAssociation."""
    return _case_json(case_service().association(identifier), identifier)


@case_bp.get("/CFItemAssociations/<identifier>")
def item_associations(identifier: str):
    """getCFItemAssociations."""
    return _case_json(case_service().item_associations(identifier), identifier)


@case_bp.get("/CFItemTypes/<identifier>")
def item_type(identifier: str):
    """getCFItemType."""
    return _case_json(case_service().item_type(identifier), identifier)
