"""The deployable Scrapy project as an egg, built by scrapyd-client's `scrapyd-deploy`."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # where scrapy.cfg is
PROJECT = "offres"


class EggBuildFailed(RuntimeError):
    """scrapyd-deploy could not build the egg."""


def default_version() -> str:
    """A version Scrapyd sorts after the previous ones: the build time (like scrapyd-deploy)."""
    return str(int(time.time()))


def build_egg(output: Path, root: Path = PROJECT_ROOT) -> Path:
    """Build the egg of the spiders into `output` with `scrapyd-deploy --build-egg`."""
    deploy = shutil.which("scrapyd-deploy", path=str(Path(sys.executable).parent)) or shutil.which("scrapyd-deploy")
    if not deploy:
        raise EggBuildFailed("scrapyd-deploy not found: pip install 'offres[cluster]'")
    if not (root / "scrapy.cfg").exists():
        raise EggBuildFailed(f"no scrapy.cfg in {root}")
    with tempfile.TemporaryDirectory(prefix="offres-egg-") as scratch:
        # setup.py writes build/ and *.egg-info beside the sources: build from a copy.
        tree = Path(scratch) / "project"
        shutil.copytree(root, tree, ignore=shutil.ignore_patterns(
            ".git", ".venv", "data", "tests", "bench", "docs", "demo-output", "build", "*.egg-info",
            "__pycache__", "*.db", "*.db-*"))
        done = subprocess.run([deploy, "--build-egg", str(output.resolve())], cwd=tree,
                              capture_output=True, text=True)
    if done.returncode != 0 or not output.exists():
        last = (done.stderr or done.stdout).strip().splitlines()
        raise EggBuildFailed(f"scrapyd-deploy failed: {last[-1] if last else done.returncode}")
    return output
