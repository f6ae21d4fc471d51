"""The framework as a 1EdTech CASE 1.1 CFPackage (CFDocument, CFItems, isChildOf CFAssociations)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from .framework import Framework

# Fixed namespace: CASE identifiers are UUIDs derived from our stable framework ids, so they never
# change between exports, hosts or deployments.
MCF_NAMESPACE = uuid.UUID("6f1d3c1e-5b1a-4f55-9a51-2d0c8f6f4a7e")

ITEM_TYPES = {
    "Domain": "A professional domain of the framework.",
    "Competency": "A competency within a domain.",
    "Indicator": "An observable indicator of a competency.",
}


def case_uuid(*parts: str) -> str:
    """A stable UUID for a framework node, association or definition."""
    return str(uuid.uuid5(MCF_NAMESPACE, "/".join(parts)))


def build_case_package(framework: Framework, url: Callable[[str, str], str]) -> dict:
    """The CFPackage as a dict.

    ``url(kind, key)`` gives public URLs: ``("item", "COM.4")`` the page of a domain, competency or
    indicator; ``("framework", id)`` the human-readable framework; ``(kind, uuid)`` for the
    document, package, association and item_type objects.
    """
    stamp = framework.last_changed.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    doc_id = case_uuid(framework.id, "document")
    doc_link = {"title": framework.title, "identifier": doc_id, "uri": url("document", doc_id)}

    def link(title: str, identifier: str, kind: str) -> dict:
        return {"title": title, "identifier": identifier, "uri": url(kind, identifier)}

    type_links = {}
    definitions = []
    for name, description in ITEM_TYPES.items():
        type_id = case_uuid(framework.id, "item-type", name)
        type_links[name] = link(name, type_id, "item_type")
        definitions.append({"identifier": type_id, "uri": url("item_type", type_id), "title": name,
                            "description": description, "hierarchyCode": name, "lastChangeDateTime": stamp})

    items: list[dict] = []
    associations: list[dict] = []

    def add_item(node_id: str, kind: str, statement: str, position: int, parent: dict, abbreviated: str = "",
                 notes: str = "") -> dict:
        identifier = case_uuid(framework.id, "item", node_id)
        item_link = {"title": statement[:120], "identifier": identifier, "uri": url("item", node_id)}
        item = {
            "identifier": identifier,
            "uri": item_link["uri"],
            "fullStatement": statement,
            "humanCodingScheme": node_id,
            "listEnumeration": str(position),
            "CFItemType": kind,
            "CFItemTypeURI": type_links[kind],
            "language": framework.language,
            "lastChangeDateTime": stamp,
            "CFDocumentURI": doc_link,
        }
        if abbreviated:
            item["abbreviatedStatement"] = abbreviated
        if notes:
            item["notes"] = notes
        items.append(item)
        assoc_id = case_uuid(framework.id, "association", node_id, "isChildOf", parent["identifier"])
        associations.append({
            "identifier": assoc_id,
            "uri": url("association", assoc_id),
            "associationType": "isChildOf",
            "sequenceNumber": position,
            "originNodeURI": item_link,
            "destinationNodeURI": parent,
            "CFDocumentURI": doc_link,
            "lastChangeDateTime": stamp,
        })
        return item_link

    for d_pos, domain in enumerate(framework.domains, start=1):
        domain_link = add_item(domain.id, "Domain", domain.title, d_pos, doc_link, notes=domain.summary)
        for c_pos, competency in enumerate(domain.competencies, start=1):
            comp_link = add_item(competency.id, "Competency", competency.title, c_pos, domain_link,
                                 notes=" ".join(competency.description))
            for indicator in competency.indicators:
                add_item(indicator.id, "Indicator", indicator.statement, indicator.position, comp_link)

    document = {
        "identifier": doc_id,
        "uri": url("document", doc_id),
        "creator": framework.publisher,
        "title": framework.title,
        "lastChangeDateTime": stamp,
        "officialSourceURL": url("framework", framework.id),
        "publisher": framework.publisher,
        "description": f"{framework.title}: {len(framework.domains)} domains, "
                       f"{len(framework.competencies)} competencies, {len(framework.indicators)} indicators.",
        "subject": ["Teacher mentoring"],
        "language": framework.language,
        "version": framework.version,
        "adoptionStatus": "Adopted",
        "notes": f"Source: {framework.citation}",
        "CFPackageURI": {"title": framework.title, "identifier": doc_id, "uri": url("package", doc_id)},
    }
    return {
        "CFDocument": document,
        "CFItems": items,
        "CFAssociations": associations,
        "CFDefinitions": {"CFItemTypes": definitions},
    }
