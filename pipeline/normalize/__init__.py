"""Field normalisers (one pure, table-driven function per field) and `normalize_posting`.

`FIELDS` maps the CLI field names (`offres normalize FIELD VALUE`) to functions of the
common shape `(value, now) -> dict`; like `normalize_posting`, they read the value as plain
text (markup removed).
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
from pipeline.sanitize import plain_text


def _plain(value: str | None) -> str | None:
    """What normalize_posting gives the normalisers: plain text (pipeline.sanitize.plain_text)."""
    return plain_text(value, lines=True) if isinstance(value, str) else value


FIELDS: dict[str, Callable[[str, datetime | None], dict]] = {
    "title": lambda value, now=None: normalize_title(_plain(value)),
    "category": lambda value, now=None: (
        normalize_category(_plain(value)) if explicit_category(_plain(value)) else normalize_category(None, _plain(value))
    ),
    "versant": lambda value, now=None: normalize_versant(_plain(value)),
    "contract": lambda value, now=None: normalize_contract(_plain(value)),
    "location": lambda value, now=None: normalize_location(_plain(value)),
    "remote": lambda value, now=None: normalize_remote(_plain(value)),
    "date": lambda value, now=None: normalize_date(_plain(value), now),
    "reference": lambda value, now=None: normalize_reference(_plain(value)),
    "employer": lambda value, now=None: normalize_employer(_plain(value)),
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
