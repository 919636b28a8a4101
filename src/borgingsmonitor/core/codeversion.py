"""Which version of the library's code a rule ran, so Snakemake reruns a rule when that code changes.

Snakemake's `code` rerun trigger sees only a rule's own script (scripts/<rule>.py, a thin entry
point); the work is done in this package. Each rule carries `code=code_version("<stage>")` in its
params: a digest of the stage's files and of every earlier stage it may import (the house plan,
checked by tests/test_layout.py). After an update of the code, `snakemake -n` names the rules whose
code changed ("params have changed") and a run redoes them and what depends on them, nothing else.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

# The stages in the order they may import each other: a stage imports only itself and earlier ones.
STAGES = ("core", "ingest", "clean", "models", "measure", "mechanisms", "report")
PACKAGE = Path(__file__).resolve().parents[1]


@cache
def code_version(stage: str, package: Path = PACKAGE) -> str:
    """16 hex digits of sha256 over the files of `stage` and the stages before it (and the package's
    own top-level files), by path and content; compiled caches are left out."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    digest = hashlib.sha256()
    folders = [package / name for name in STAGES[: STAGES.index(stage) + 1]]
    files = [p for p in package.iterdir() if p.is_file()]
    files += [p for folder in folders for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in sorted(files):
        if path.suffix in (".pyc", ".pyo"):
            continue
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
