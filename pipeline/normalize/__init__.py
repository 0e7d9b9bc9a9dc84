"""Field normalisers (one pure, table-driven function per field) and `normalize_posting`.

`FIELDS` maps the CLI field names (`offres normalize FIELD VALUE`) to functions of the
common shape `(value, now) -> dict`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from pipeline.normalize.category import explicit_category, normalize_category
from pipeline.normalize.contract import normalize_contract
from pipeline.normalize.dates import normalize_date
from pipeline.normalize.employer import normalize_employer
from pipeline.normalize.location import normalize_location
from pipeline.normalize.posting import normalize_posting
from pipeline.normalize.reference import normalize_reference, reference_from_url
from pipeline.normalize.remote import normalize_remote
from pipeline.normalize.title import normalize_title
from pipeline.normalize.versant import normalize_versant

FIELDS: dict[str, Callable[[str, datetime | None], dict]] = {
    "title": lambda value, now=None: normalize_title(value),
    "category": lambda value, now=None: (
        normalize_category(value) if explicit_category(value) else normalize_category(None, value)
    ),
    "versant": lambda value, now=None: normalize_versant(value),
    "contract": lambda value, now=None: normalize_contract(value),
    "location": lambda value, now=None: normalize_location(value),
    "remote": lambda value, now=None: normalize_remote(value),
    "date": lambda value, now=None: normalize_date(value, now),
    "reference": lambda value, now=None: normalize_reference(value),
    "employer": lambda value, now=None: normalize_employer(value),
}

__all__ = [
    "FIELDS",
    "normalize_category",
    "normalize_contract",
    "normalize_date",
    "normalize_employer",
    "normalize_location",
    "normalize_posting",
    "normalize_reference",
    "normalize_remote",
    "normalize_title",
    "normalize_versant",
    "reference_from_url",
]
