"""The digest of the packages a stored result was built with (pipeline/versions.py)."""
from __future__ import annotations

import hashlib
from importlib.metadata import version

from pipeline.versions import add_packages


def test_installed_and_missing_packages_are_both_named():
    digest = hashlib.sha256()
    add_packages(digest, ["click", "no-such-package-offres"])
    expected = hashlib.sha256(f"click={version('click')}\0no-such-package-offres=-\0".encode())
    assert digest.hexdigest() == expected.hexdigest()
