"""The raw posting record: what a spider yields and `offres ingest` reads.

Values are kept as found on the page. Only `source`, `url` and `title` are
required. See docs/architecture.md for the meaning of each key.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.normalize import normalize_reference, reference_from_url
from pipeline.urls import canonical_url, url_problem

REQUIRED = ("source", "url", "title")
TEXT_FIELDS = (
    "reference", "employer", "employer_category", "location", "location_area", "region",
    "category", "grades", "versant", "contract", "remote", "metier", "domain",
    "published", "modified", "deadline", "experience", "salary", "management",
    "post_status", "missions_html", "profile_html", "about_html", "conditions_html",
    "extra_html", "original_url", "fetched_at",
)


def valid_datetime(value: str) -> bool:
    """Whether `value` is an ISO 8601 date-time (a date and a time)."""
    if len(value) < 16 or value[10:11] not in ("T", "t", " "):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


class RecordError(ValueError):
    """A raw record that cannot be stored; names the record and the field."""

    def __init__(self, where: str, field_name: str, message: str) -> None:
        super().__init__(f"{where}: field '{field_name}': {message}")
        self.where, self.field, self.message = where, field_name, message


@dataclass
class RawPosting:
    """One posting as scraped. Unknown keys are kept in `extra`, never dropped."""

    source: str
    url: str
    title: str
    reference: str | None = None
    employer: str | None = None
    employer_category: str | None = None
    location: str | None = None
    location_area: str | None = None
    region: str | None = None
    category: str | None = None
    grades: str | None = None
    versant: str | None = None
    contract: str | None = None
    remote: str | None = None
    metier: str | None = None
    domain: str | None = None
    published: str | None = None
    modified: str | None = None
    deadline: str | None = None
    experience: str | None = None
    salary: str | None = None
    management: str | None = None
    post_status: str | None = None
    missions_html: str | None = None
    profile_html: str | None = None
    about_html: str | None = None
    conditions_html: str | None = None
    extra_html: str | None = None
    original_url: str | None = None
    fetched_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any, where: str = "record") -> "RawPosting":
        """Validate a raw record; raise RecordError naming the first bad field."""
        if not isinstance(data, dict):
            raise RecordError(where, "*", f"expected a JSON object, got {type(data).__name__}")
        for name in REQUIRED:
            value = data.get(name)
            if not isinstance(value, str) or not value.strip():
                raise RecordError(where, name, "required, must be a non-empty string")
        url = data["url"].strip()
        problem = url_problem(url)
        if problem:
            raise RecordError(where, "url", f"{problem}: {url[:80]!r}")
        known: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            value = data.get(name)
            if value is None:
                known[name] = None
                continue
            if not isinstance(value, str):
                raise RecordError(where, name, f"must be a string or null, got {type(value).__name__}")
            if "\x00" in value:
                raise RecordError(where, name, "contains a NUL character")
            known[name] = value.strip() or None
        if known["original_url"] and url_problem(known["original_url"]):
            raise RecordError(where, "original_url", f"{url_problem(known['original_url'])}: {known['original_url'][:80]!r}")
        if known["fetched_at"] and not valid_datetime(known["fetched_at"]):
            raise RecordError(where, "fetched_at", f"not an ISO 8601 date-time: {known['fetched_at'][:40]!r}")
        extra = {k: v for k, v in data.items() if k not in REQUIRED and k not in TEXT_FIELDS and k != "extra"}
        if isinstance(data.get("extra"), dict):
            extra.update(data["extra"])
        return cls(source=data["source"].strip(), url=url, title=data["title"].strip(), extra=extra, **known)

    def as_dict(self) -> dict[str, Any]:
        """The record as a plain dict, without empty values."""
        out = {name: value for name, value in zip(_FIELD_NAMES, _FIELDS_OF(self)) if value not in _EMPTY}
        if self.extra:
            out["extra"] = copy.deepcopy(self.extra)
        return out

    def content_hash(self, record: dict[str, Any] | None = None) -> str:
        """Hash of the content, ignoring when it was fetched (`record`: `as_dict()` if already made)."""
        payload = {k: v for k, v in (record if record is not None else self.as_dict()).items() if k != "fetched_at"}
        text = _HASH_ENCODE(payload)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def key(self) -> str:
        """Identity of the posting within its source: its reference, else its URL."""
        reference = None
        if self.reference:  # an unrecognised shape is still the board's own identifier
            reference = normalize_reference(self.reference)["reference"] or " ".join(self.reference.split())
        reference = reference or reference_from_url(self.url)
        if reference:
            return reference.upper()
        return canonical_url(self.url)

    def posting_id(self) -> str:
        """Stable id of the posting: `source:key`."""
        return f"{self.source}:{self.key()}"


_HASH_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode  # built once
_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(RawPosting) if f.name != "extra")
_FIELDS_OF = operator.attrgetter(*_FIELD_NAMES)  # every field's value but `extra`, in order, at once
_EMPTY = (None, "", {})  # values `as_dict` leaves out
