"""The sources' names and what the pipeline knows of each: one place, imported by every stage.

A low module (no imports): deduplication, lifecycle and the exports all read it.
"""
from __future__ import annotations

OFFICIAL_SOURCE = "csp"  # choisirleservicepublic.gouv.fr: preferred as the canonical posting
# the board's pages of offers outside its Numérique listing, read one by one (pipeline.detail_queue)
UNLISTED_SOURCE = "csp-unlisted"
BOARD_PAGE_SOURCES = frozenset((OFFICIAL_SOURCE, UNLISTED_SOURCE))  # the board's own pages
BOARD_SOURCES = (OFFICIAL_SOURCE, "emploi-territorial")  # boards whose listing proves an offer open
CURATED_SOURCE = "dinum-page"  # a hand-kept page that links to the official board
# Sources whose licence asks each offer to show the source, its last update and the licence
# (docs/sources/francetravail.md#licence): the licence is published on the API's page.
LICENSED_SOURCES = {"francetravail": "https://francetravail.io/data/api/offres-emploi"}
