"""The framework in 1EdTech CASE 1.1: the CFPackage (CFDocument, CFItems, isChildOf CFAssociations,
item types) and the shapes the CASE 1.1 REST endpoints answer with, which differ from the package's:
outside a package a CFDocument links to its CFPackage and items and associations to their CFDocument."""

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

    ``url(kind, key)`` gives public URLs: ``("framework", id)`` the human-readable framework;
    ``(kind, uuid)`` the CASE URL of the document, package, item, association or item_type.
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
        item_link = {"title": statement[:120], "identifier": identifier, "uri": url("item", identifier)}
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
            "lastChangeDateTime": stamp,
        })
        return item_link

    for d_pos, domain in enumerate(framework.domains, start=1):
        domain_link = add_item(domain.id, "Domain", domain.title, d_pos, doc_link, notes=domain.summary)
        for c_pos, competency in enumerate(domain.competencies, start=1):
            comp_link = add_item(competency.id, "Competency", competency.title, c_pos, domain_link,
                                 notes=sentences(competency.description))
            for indicator in competency.indicators:
                add_item(indicator.id, "Indicator", indicator.statement, indicator.position, comp_link)

    document = {
        "identifier": doc_id,
        "uri": url("document", doc_id),
        "caseVersion": "1.1",
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
    }
    return {
        "CFDocument": document,
        "CFItems": items,
        "CFAssociations": associations,
        "CFDefinitions": {"CFItemTypes": definitions},
    }


def sentences(parts) -> str:
    """Statements joined as prose: each ends with a full stop, so the result reads as sentences."""
    cleaned = [p.strip() for p in parts if p and p.strip()]
    return " ".join(p if p[-1] in ".!?" else p + "." for p in cleaned)


class CaseService:
    """The CASE 1.1 REST answers for one package, looked up by identifier (built once, then served)."""

    def __init__(self, package: dict, url: Callable[[str, str], str]):
        self.package = package
        document = package["CFDocument"]
        self.doc_link = {"title": document["title"], "identifier": document["identifier"], "uri": document["uri"]}
        self.package_link = {"title": document["title"], "identifier": document["identifier"],
                             "uri": url("package", document["identifier"])}
        self.items = {i["identifier"]: i for i in package["CFItems"]}
        self.associations = {a["identifier"]: a for a in package["CFAssociations"]}
        self.item_types = {t["identifier"]: t for t in package["CFDefinitions"]["CFItemTypes"]}

    def document(self, identifier: str) -> dict | None:
        """getCFDocument: the CFDocument with a link to its package."""
        if identifier != self.doc_link["identifier"]:
            return None
        return {**self.package["CFDocument"], "CFPackageURI": self.package_link}

    def documents(self) -> dict:
        """getAllCFDocuments."""
        return {"CFDocuments": [self.document(self.doc_link["identifier"])]}

    def package_of(self, identifier: str) -> dict | None:
        """getCFPackage: the whole package of the document with this identifier."""
        return self.package if identifier == self.doc_link["identifier"] else None

    def item(self, identifier: str) -> dict | None:
        """getCFItem: the CFItem with a link to its document."""
        item = self.items.get(identifier)
        return {**item, "CFDocumentURI": self.doc_link} if item else None

    def association(self, identifier: str) -> dict | None:
        """getCFAssociation: the CFAssociation with a link to its document."""
        association = self.associations.get(identifier)
        return {**association, "CFDocumentURI": self.doc_link} if association else None

    def item_associations(self, identifier: str) -> dict | None:
        """getCFItemAssociations: the item and every association it is the origin or destination of."""
        item = self.item(identifier)
        if item is None:
            return None
        linked = [a for a in self.package["CFAssociations"]
                  if identifier in (a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"])]
        return {"CFItem": item, "CFAssociations": linked}

    def item_type(self, identifier: str) -> dict | None:
        """getCFItemType: the item type (it has no children in this framework)."""
        item_type = self.item_types.get(identifier)
        return {"CFItemTypes": [item_type]} if item_type else None


def unknown_object(identifier: str) -> dict:
    """The CASE status payload for an identifier that names nothing here."""
    return {"imsx_codeMajor": "failure", "imsx_severity": "error",
            "imsx_description": f"Unknown object: {identifier}",
            "imsx_CodeMinor": {"imsx_codeMinorField": [{"imsx_codeMinorFieldName": "sourcedId",
                                                        "imsx_codeMinorFieldValue": "unknownobject"}]}}
