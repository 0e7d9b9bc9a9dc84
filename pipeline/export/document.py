"""The portal contract, version 1: the export document, built and checked.

The contract is documented in docs/export.md and fixed by
docs/export-v1.schema.json; every export is validated, offer by offer, before it
is written: an offer that breaks the contract is set aside (`set_aside_invalid`),
named on one line, and the others are exported.
"""
from __future__ import annotations

import json
import types
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from typing import TYPE_CHECKING

import fastjsonschema
from sqlite_utils import Database

from pipeline import labels, user_cache
from pipeline.classify import taxonomy_version
from pipeline.export.freshness import source_freshness
from pipeline.export.selection import Selection, select_offers
from pipeline.normalize.location import upgrade_location
from pipeline.sanitize import plain_text, safe_url, sanitize_html

if TYPE_CHECKING:  # imported where it is used: a good offer is checked without it (`first_error`)
    import jsonschema

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent.parent / "docs" / "export-v1.schema.json"
CHECK_KIND = "export-check"  # the compiled checks in the user's cache
LOCATION_KEYS = ("label", "city", "postal_code", "insee", "department_code", "department", "region_code", "region",
                 "territory_code", "territory", "territory_kind")
#: Plain-text fields of an offer (no markup; consumers still escape them), the `*_html` ones being sanitised HTML.
PLAIN_TEXT = ("reference", "title", "title_raw", "employer", "employer_category", "metier", "domain",
              "experience", "salary", "status_reason")


@lru_cache(maxsize=1)
def export_schema() -> dict:
    """The JSON Schema of the export document."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def loads(value, default):
    """A JSON column as stored by sqlite-utils (text), decoded."""
    if value is None:
        return default
    return json.loads(value) if isinstance(value, str) else value


def location_entry(stored: dict | None) -> dict:
    """The export's location object from a stored one (plain text, today's keys)."""
    location = upgrade_location(stored or {})
    entry = {k: location.get(k) for k in LOCATION_KEYS}
    entry["label"] = plain_text(entry["label"])
    entry["city"] = plain_text(entry["city"])
    entry["display"] = labels.location_display(entry)
    return entry


def source_entry(source: dict) -> dict:
    """One `sources` item: a URL that is not an absolute, well-formed http(s) one becomes null."""
    return {**source, "source": plain_text(source.get("source")), "url": safe_url(source.get("url")),
            "reference": plain_text(source.get("reference"))}


def _as_stored(fragment: str | None) -> str | None:
    return fragment or None


def offer_entry(row: dict, sanitized: bool = False) -> dict:
    """One offer of the export from an `offers` row; `sanitized`: its HTML fragments are stored
    sanitised by the current sanitiser (`pipeline.rebuild.html_sanitized`), kept as they are."""
    clean = _as_stored if sanitized else sanitize_html
    location = loads(row["location"], {})
    remote = row["remote"]
    entry = {
        "id": row["id"],
        "reference": row["reference"],
        "title": row["title"] or row["title_raw"],
        "title_raw": row["title_raw"] or row["title"],
        "employer": row["employer"],
        "employer_category": row["employer_category"],
        "versant": row["versant"],
        "category": row["category"],
        "categories": loads(row["categories"], []),
        "grades": loads(row["grades"], []),
        "contract": row["contract"],
        "remote": None if remote is None else bool(remote),
        "metier": row["metier"],
        "domain": row["domain"],
        "location": location_entry(location),
        "digital": bool(row["digital"]),
        "family": row["family"],
        "published_on": row["published_on"],
        "deadline": row["deadline"],
        "first_seen_at": row["first_seen_at"],
        "last_seen_at": row["last_seen_at"],
        "status": row["status"],
        "url": row["url"],
        "sources": [source_entry(s) for s in loads(row["sources"], [])],
        "missions_html": clean(row["missions_html"]),
        "profile_html": clean(row["profile_html"]),
        "about_html": clean(row.get("about_html")),
        "experience": row.get("experience"),
        "salary": row.get("salary"),
        "apply_url": row.get("apply_url"),
        "starts_on": row.get("starts_on"),
        "filiere": row.get("filiere"),
        "working_time": row.get("working_time"),
        "description_html": sanitize_html(row.get("description_html")),
        "salary_details": loads(row.get("salary_details"), None),
        "updated_at": row.get("updated_at"),
        "closed_at": row.get("closed_at"),
        "status_reason": row.get("status_reason"),
        "family_label": labels.family_label(row["family"]),
        "category_label": labels.category_label(row["category"]),
        "versant_label": labels.versant_label(row["versant"]),
        "contract_label": labels.contract_label(row["contract"]),
    }
    for name in PLAIN_TEXT:  # stored clean by the normalisation; offers stored before it too
        if isinstance(entry[name], str):
            entry[name] = plain_text(entry[name])  # a title of markup only: null, the offer set aside
    entry["grades"] = [g for g in (plain_text(g) if isinstance(g, str) else g for g in entry["grades"]) if g]
    return entry


def build_export(db: Database, include_all: bool = False, now: datetime | None = None,
                 selection: Selection | None = None) -> dict:
    """The export document: open digital offers (every offer with `include_all`)."""
    from pipeline.rebuild import html_sanitized  # above this module: it writes what we read

    selection = selection or Selection(include_all=include_all)
    sanitized = html_sanitized(db)
    offers = [offer_entry(r, sanitized) for r in select_offers(db, selection)]
    return {**envelope(db, len(offers), now), "offers": offers}


def envelope(db: Database, count: int, now: datetime | None = None) -> dict:
    """The export document without its `offers` (which follow `sources`)."""
    generated = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    return {"schema_version": SCHEMA_VERSION, "generated_at": generated.isoformat(),
            "taxonomy_version": taxonomy_version(), "count": count, "sources": source_freshness(db)}


@lru_cache(maxsize=None)
def validator(definition: str | None = None) -> jsonschema.Draft202012Validator:
    """A validator of the whole document, or of one `$defs` entry (`offer`, `location`),
    with format checking on (`date`, `date-time`, `uri`)."""
    import jsonschema

    return jsonschema.Draft202012Validator(_schema_of(definition), format_checker=jsonschema.FormatChecker())


def _schema_of(definition: str | None):
    """The document's schema, or one `$defs` entry's with its local references inlined (a
    third faster than resolving them per offer)."""
    schema = export_schema()
    if definition:
        schema = {"$schema": schema["$schema"], **_inline(schema["$defs"][definition], schema["$defs"])}
    return schema


def _inline(node, defs: dict):
    """A schema node with its `#/$defs/...` references replaced by what they point to."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    rest = {k: _inline(v, defs) for k, v in node.items() if k != "$ref"}
    if "$ref" not in node:
        return rest
    target = _inline(defs[node["$ref"].removeprefix("#/$defs/")], defs)
    if set(rest) - {"description"}:
        return {"allOf": [target], **rest}
    return {**target, **rest}


@lru_cache(maxsize=None)
def _compiled_check(definition: str):
    """A `$defs` entry compiled once to Python code (fastjsonschema): a quick yes for a good
    offer. It is never looser than jsonschema (tests/test_export_validation.py), so its yes is
    final; on its no, jsonschema decides and words the error.

    The compiled code is kept in the user's cache (`pipeline.user_cache`), keyed by the
    schema, this module and fastjsonschema's version: generating and compiling it is about
    0.05 s that each short command paid (the rebuild after a crawl builds export entries)."""
    key = user_cache.sources_key([SCHEMA_PATH, Path(__file__)], definition, f"fastjsonschema={fastjsonschema.VERSION}")
    code = user_cache.load(CHECK_KIND, key)
    if not isinstance(code, types.CodeType):
        code = compile(fastjsonschema.compile_to_code(_compilable(_schema_of(definition))),
                       f"<{definition} check of {SCHEMA_PATH.name}>", "exec")
        user_cache.save(CHECK_KIND, key, code)
    namespace: dict = {}
    exec(code, namespace)  # the code fastjsonschema.compile runs, written by compile_to_code
    return namespace["validate"]


def _compilable(node):
    """The schema with every `$` inside a pattern's character class escaped (`[$]` -> `[\\$]`, the
    same regex): fastjsonschema turns each `$` into `\\Z`, which a class does not accept."""
    if isinstance(node, list):
        return [_compilable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _compilable(v) for k, v in node.items()}
    if isinstance(node.get("pattern"), str):
        out["pattern"] = _escape_class_dollars(node["pattern"])
    return out


def _escape_class_dollars(pattern: str) -> str:
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
            continue
        if char == "\\":
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and in_class:
            out.append("\\")
        out.append(char)
    return "".join(out)


def _compiled_offer_check():
    return _compiled_check("offer")


def first_error(instance, definition: str | None = None) -> jsonschema.ValidationError | None:
    """The most relevant contract violation of an instance, or None (an offer: the compiled
    check first, jsonschema only when it says no)."""
    if definition == "offer":
        try:
            _compiled_check(definition)(instance)
            return None
        except fastjsonschema.JsonSchemaException:
            pass
    from jsonschema.exceptions import best_match

    return best_match(validator(definition).iter_errors(instance))


def offer_error(entry: dict) -> jsonschema.ValidationError | None:
    """Why one export entry breaks the contract (its offer schema), or None when it keeps it."""
    return first_error(entry, "offer")


def validate_export(document: dict) -> None:
    """Raise jsonschema.ValidationError if the document breaks the contract."""
    error = first_error({**document, "offers": []}) or next(
        (e for e in map(lambda o: first_error(o, "offer"), document["offers"]) if e is not None), None)
    if error is not None:
        raise error


@dataclass(frozen=True)
class SetAside:
    """An offer left out of an export because it breaks the contract."""

    id: str | None
    reference: str | None
    field: str
    value: object
    message: str

    @classmethod
    def from_error(cls, offer: dict, error: jsonschema.ValidationError) -> SetAside:
        path = [str(p) for p in error.absolute_path]
        value = error.instance
        if error.validator == "required" and isinstance(error.validator_value, list):
            missing = [k for k in error.validator_value if isinstance(value, dict) and k not in value]
            path, value = path + missing[:1], None
        message = error.message
        if message.startswith(repr(error.instance)):  # "'987' does not match ...": the value is said apart
            message = message[len(repr(error.instance)):].strip()
        message = message if len(message) <= 160 else message[:157] + "..."
        return cls(offer.get("id"), offer.get("reference"), ".".join(path) or "*", value, message)

    def reason(self) -> str:
        """The field, its value and what is wrong with it."""
        value = repr(self.value)
        value = value if len(value) <= 120 else value[:117] + "..."
        return f"field '{self.field}' value {value}: {' '.join(self.message.split())}"

    def line(self) -> str:
        """One line naming the offer, the field and the value."""
        name, reference = (" ".join(str(x).split()) for x in (self.id, self.reference))  # stays one line
        return f"offer {name} (reference {reference}) set aside: {self.reason()}"


def set_aside_invalid(document: dict) -> list[SetAside]:
    """Remove from the document every offer that breaks the contract (the count follows);
    returns them. The document itself must be valid (raises otherwise)."""
    error = first_error({**document, "offers": []})
    if error is not None:
        raise error
    kept, aside = [], []
    for offer in document["offers"]:
        error = first_error(offer, "offer")
        if error is None:
            kept.append(offer)
        else:
            aside.append(SetAside.from_error(offer, error))
    document["offers"], document["count"] = kept, len(kept)
    return aside
