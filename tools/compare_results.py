"""Compare two results/ folders file by file (sha256): proof that a change kept outputs byte-identical.

    .venv/bin/python tools/compare_results.py BASELINE_RESULTS results [--ignore GLOB ...]

Interim files, logs and provenance.json (which records the code version) are skipped by default.
Exit status 1 when any file differs, is missing or is new.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import sys
from pathlib import Path

DEFAULT_IGNORE = ["interim/*", "provenance.json"]


def digests(root: Path, ignore: list[str]) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not any(fnmatch.fnmatch(rel, pattern) for pattern in ignore):
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def compare(before: Path, after: Path, ignore: list[str]) -> list[str]:
    """One line per difference: a file changed, missing or new."""
    a, b = digests(before, ignore), digests(after, ignore)
    lines = [f"changed  {rel}" for rel in sorted(a.keys() & b.keys()) if a[rel] != b[rel]]
    lines += [f"missing  {rel}" for rel in sorted(a.keys() - b.keys())]
    lines += [f"new      {rel}" for rel in sorted(b.keys() - a.keys())]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--ignore", nargs="*", default=[], help="extra glob patterns (relative paths) to skip")
    args = parser.parse_args(argv)
    differences = compare(args.before, args.after, DEFAULT_IGNORE + args.ignore)
    for line in differences:
        print(line)
    same = len(digests(args.after, DEFAULT_IGNORE + args.ignore)) - sum(
        not d.startswith("missing") for d in differences
    )
    print(f"{same} identical, {len(differences)} different")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
