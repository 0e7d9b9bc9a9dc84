"""What derived data was built from, as a digest: files (their names and bytes) and packages.

A stored result (a normalisation, an export entry) is reused while the digest of its code,
data and packages is the one recorded when it was built.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Iterable


def add_packages(digest, packages: Iterable[str]) -> None:
    """Feed the installed version of each package (`-` when missing) to a hashlib object."""
    for package in packages:
        try:
            digest.update(f"{package}={version(package)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=-\0".encode())
