"""What emploi-territorial.fr postings add to the common normalisation.

- the employer is the real employer, in readable case when written in capitals, keyed by
  the board's employer id (`search-col=<id>`, stable across spellings) when known;
- its own fields: the apply link (http(s) only), the start date, the filière, the working
  time, the "Descriptif de l'emploi" section;
- the job family is not taken as proof of a digital job by the classifier;
- the département comes from the reference (`O` + 3-digit département + YYMMDD + 6 digits)
  when the place of work alone does not settle it (a town name found in several départements).
"""
from __future__ import annotations

import re

from pipeline.normalize.case import readable_case
from pipeline.normalize.dates import normalize_date
from pipeline.normalize.employer import normalize_employer
from pipeline.normalize.location import normalize_location
from pipeline.sanitize import encode_url, plain_text, safe_url

SOURCE = "emploi-territorial"
_TERRITORIAL = re.compile(r"^[Oo](\d{3})\d{12}$")


def department_of_reference(reference: str | None) -> str | None:
    """The département of a territorial reference: `O038…` -> 38, `O971…` -> 971; None for 000/020 or another shape."""
    match = _TERRITORIAL.match(reference or "")
    if not match:
        return None
    code = match.group(1)
    if code in ("000", "020"):  # no département; Corsica (2A/2B) cannot be told apart
        return None
    return code if code.startswith("97") else code[1:]


def employer_key(board_id: object) -> str | None:
    """The stable employer key of a board employer id (`emploi-territorial:99452`)."""
    text = str(board_id).strip() if board_id is not None else ""
    return f"{SOURCE}:{text}" if text.isdigit() else None


def apply_board_fields(raw: dict, fields: dict) -> dict:
    """Adjust the normalised `fields` of an emploi-territorial posting `raw` (in place; returned)."""
    if raw.get("source") != SOURCE:
        return fields
    if raw.get("employer"):
        employer = normalize_employer(readable_case(raw["employer"]))
        fields["employer"] = employer["employer"]
        fields["employer_category"] = None
        board_id = raw.get("employer_id") or (raw.get("extra") or {}).get("employer_id")
        fields["employer_key"] = employer_key(board_id) or employer["employer_key"]
    location = fields.get("location") or {}
    department = department_of_reference(fields.get("reference"))
    if department and not location.get("department_code"):
        for text in (raw.get("location"), raw.get("location_area")):
            if text:
                resolved = normalize_location(text, department=department)
                if resolved.get("department_code") == department:
                    fields["location"] = resolved
                    break
        else:
            fields["location"] = {**normalize_location(department), "label": raw.get("location") or None}
    # the board's family (A7 "Informatique et système d'information") holds a few jobs that are not
    # digital, and digital jobs are filed under other families: title and métier decide
    fields["classify_domain"] = None
    extra = {**(raw.get("extra") or {}), **raw}
    apply_url = extra.get("apply_url")
    fields["apply_url"] = safe_url(encode_url(apply_url)) if isinstance(apply_url, str) else None
    fields["starts_on"] = normalize_date(extra.get("start_date"))["date"] if isinstance(extra.get("start_date"), str) else None
    for name in ("filiere", "working_time"):
        value = extra.get(name)
        fields[name] = plain_text(value) if isinstance(value, str) else None
    description = extra.get("description_html")
    fields["description_html"] = description if isinstance(description, str) and description.strip() else None
    return fields
