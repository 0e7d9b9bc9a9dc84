"""The deduplication package imports one way: keys -> near -> cluster -> explain."""
from __future__ import annotations

import ast
from pathlib import Path

import pipeline.dedupe as package

ORDER = ["keys", "near", "cluster", "explain"]
ROOT = Path(package.__file__).parent


def _imported_layers(name: str) -> set[str]:
    tree = ast.parse((ROOT / f"{name}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline.dedupe"):
            rest = node.module[len("pipeline.dedupe"):].lstrip(".")
            found.add(rest or "__init__")
        elif isinstance(node, ast.Import):
            found.update(a.name[len("pipeline.dedupe."):] for a in node.names if a.name.startswith("pipeline.dedupe."))
    return found


def test_every_module_of_the_package_is_in_the_order():
    assert sorted(p.stem for p in ROOT.glob("*.py") if p.stem != "__init__") == sorted(ORDER)


def test_each_layer_imports_only_the_layers_before_it():
    for pos, name in enumerate(ORDER):
        imported = _imported_layers(name)
        assert "__init__" not in imported, f"{name} imports the package itself"
        assert imported <= set(ORDER[:pos]), f"{name} imports {sorted(imported - set(ORDER[:pos]))}"


def test_public_names_stay_importable_from_the_package():
    from pipeline.dedupe import (Cluster, DedupeResult, Member, Posting, Rejection, dedupe,  # noqa: F401
                                 explain, reference_key)
    assert dedupe([]).clusters == ()
