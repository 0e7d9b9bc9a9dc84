"""What derived data was built from, as a digest: files (their names and bytes) and packages.

A stored result (a normalisation, an export entry) is reused while the digest of its code,
data and packages is the one recorded when it was built.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Iterable


def add_files(digest, files: Iterable[tuple[str, Path]]) -> None:
    """Feed each (name, file) to a hashlib object: the name, then the bytes (`-` when missing)."""
    for name, path in files:
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"-") + b"\0")


def add_packages(digest, packages: Iterable[str]) -> None:
    """Feed the installed version of each package (`-` when missing) to a hashlib object."""
    for package in packages:
        try:
            digest.update(f"{package}={version(package)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=-\0".encode())
