"""The framework as a CASE 1.1 CFPackage, built without an app and served at /framework/case.json."""

from __future__ import annotations

import uuid

from lms.domain.case import build_case_package
from lms.domain.framework import load_framework

from .content_fixtures import ROOT


def fake_url(kind: str, key: str) -> str:
    return f"https://mcf.example/{kind}/{key}"


def package():
    framework = load_framework(ROOT / "rubrics" / "framework.yaml").framework
    return framework, build_case_package(framework, fake_url)


def test_package_has_a_document_an_item_per_node_and_child_associations():
    framework, pkg = package()
    doc = pkg["CFDocument"]
    for field in ("identifier", "uri", "creator", "title", "lastChangeDateTime"):
        assert doc[field]
    items = pkg["CFItems"]
    assert len(items) == 4 + 7 + 38
    assert [i["humanCodingScheme"] for i in items if i["CFItemType"] == "Domain"] == ["PI", "PKS", "PR", "PD"]
    by_code = {i["humanCodingScheme"]: i for i in items}
    assert by_code["COM.4"]["fullStatement"] == "Actively listening to each other during conversations"
    assert by_code["COM.4"]["uri"] == f"https://mcf.example/item/{by_code['COM.4']['identifier']}"
    for item in items:
        uuid.UUID(item["identifier"])
        assert "CFDocumentURI" not in item  # a package item has none: its document is the package's
        assert item["lastChangeDateTime"].endswith("+00:00")
    assert len({i["identifier"] for i in items}) == len(items)


def test_every_item_is_child_of_its_parent():
    framework, pkg = package()
    items = {i["identifier"]: i for i in pkg["CFItems"]}
    doc_id = pkg["CFDocument"]["identifier"]
    parent = {}
    for assoc in pkg["CFAssociations"]:
        assert assoc["associationType"] == "isChildOf"
        parent[assoc["originNodeURI"]["identifier"]] = assoc["destinationNodeURI"]["identifier"]
    assert set(parent) == set(items)

    def code(identifier):
        return items[identifier]["humanCodingScheme"] if identifier in items else "DOC"

    assert code(parent[next(i for i, v in items.items() if v["humanCodingScheme"] == "PR")]) == "DOC"
    assert parent[next(i for i, v in items.items() if v["humanCodingScheme"] == "PR")] == doc_id
    assert code(parent[next(i for i, v in items.items() if v["humanCodingScheme"] == "COL")]) == "PR"
    assert code(parent[next(i for i, v in items.items() if v["humanCodingScheme"] == "COL.3")]) == "COL"


def test_identifiers_are_stable_between_builds():
    _, first = package()
    _, second = package()
    assert first == second


def test_case_json_is_served_with_absolute_urls(app, client):
    response = client.get("/framework/case.json")
    assert response.status_code == 200 and response.is_json
    pkg = response.get_json()
    com4 = next(i for i in pkg["CFItems"] if i["humanCodingScheme"] == "COM.4")
    assert com4["uri"] == f"http://localhost/ims/case/v1p1/CFItems/{com4['identifier']}"


def test_public_base_url_is_used_when_configured(database_url, tmp_path):
    from .conftest import make_app

    app = make_app(database_url, tmp_path / "inst", PUBLIC_BASE_URL="https://mentoring.example.org/")
    pkg = app.test_client().get("/framework/case.json").get_json()
    assert pkg["CFDocument"]["uri"] == \
        f"https://mentoring.example.org/ims/case/v1p1/CFDocuments/{pkg['CFDocument']['identifier']}"


def test_every_uri_in_the_package_resolves_to_its_case_1_1_json(app, client):
    pkg = client.get("/framework/case.json").get_json()
    doc = pkg["CFDocument"]
    assert doc["caseVersion"] == "1.1" and "CFPackageURI" not in doc
    assert all("CFDocumentURI" not in i for i in pkg["CFItems"] + pkg["CFAssociations"])
    uris = [doc["uri"]] + [i["uri"] for i in pkg["CFItems"]] + [a["uri"] for a in pkg["CFAssociations"]] + \
        [t["uri"] for t in pkg["CFDefinitions"]["CFItemTypes"]]
    for uri in uris:
        assert uri.startswith("http://localhost/ims/case/v1p1/"), uri
        response = client.get(uri)
        assert response.status_code == 200 and response.is_json, uri
    # Each answer in its own 1.1 shape: outside the package, links to the document and the package.
    document = client.get(doc["uri"]).get_json()
    assert document["CFPackageURI"]["uri"] == f"http://localhost/ims/case/v1p1/CFPackages/{doc['identifier']}"
    assert client.get(document["CFPackageURI"]["uri"]).get_json() == pkg
    com4 = next(i for i in pkg["CFItems"] if i["humanCodingScheme"] == "COM.4")
    item = client.get(com4["uri"]).get_json()
    assert item["fullStatement"] == com4["fullStatement"] and item["CFDocumentURI"]["identifier"] == doc["identifier"]
    linked = client.get(f"/ims/case/v1p1/CFItemAssociations/{com4['identifier']}").get_json()
    assert linked["CFItem"] == item and len(linked["CFAssociations"]) == 1
    assert linked["CFAssociations"][0]["associationType"] == "isChildOf"
    association = client.get(linked["CFAssociations"][0]["uri"]).get_json()
    assert association["CFDocumentURI"]["identifier"] == doc["identifier"]
    item_type = client.get(com4["CFItemTypeURI"]["uri"]).get_json()
    assert [t["title"] for t in item_type["CFItemTypes"]] == ["Indicator"]
    assert client.get("/ims/case/v1p1/CFDocuments").get_json() == {"CFDocuments": [document]}
    missing = client.get("/ims/case/v1p1/CFItems/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and missing.get_json()["imsx_codeMajor"] == "failure"
    assert client.get("/framework/COM.4").status_code == 200  # the page for people keeps its URL


def test_competency_notes_read_as_sentences():
    _, pkg = package()
    for item in pkg["CFItems"]:
        if item["CFItemType"] == "Competency" and item.get("notes"):
            assert item["notes"].endswith("."), item["humanCodingScheme"]
            assert ".." not in item["notes"]
