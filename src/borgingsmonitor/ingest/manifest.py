"""What ingestion records about each export it read: hash, size, data rows, tool, and the columns the config
does not map (with their count of non-empty cells, never a value).

One manifest per ingestion job (results/interim/ingested/<region>/<file_id>.manifest.json, or
<region>.manifest.json per region), a list of these records. Provenance and results/qc/unmapped_columns.csv
are made from them, so no export is parsed twice (a second parser would have to agree with the adapters
on encodings, header rows and a 1 MB comment).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from borgingsmonitor.core.contracts import UNMAPPED_COLUMNS


def sha256_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def export_record(export: str, region: str, source_file: str, tool: str, rows: int, unmapped: dict[str, int]) -> dict:
    """One export as ingestion read it; `export` is the path the job was given, `source_file` the config's."""
    return {
        "path": Path(export).as_posix(),
        "region": region,
        "source_file": source_file,
        "tool": tool,
        "sha256": sha256_file(export),
        "bytes": Path(export).stat().st_size,
        "rows": int(rows),
        "unmapped_columns": [{"column": c, "non_empty": int(n)} for c, n in unmapped.items()],
    }


def write_manifest(records: list[dict], path) -> None:
    Path(path).write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")


def read_manifests(paths) -> list[dict]:
    """All export records of these manifests, sorted by path."""
    records = [r for p in paths for r in json.loads(Path(p).read_text(encoding="utf-8"))]
    return sorted(records, key=lambda r: r["path"])


def unmapped_table(records: list[dict]) -> pd.DataFrame:
    """results/qc/unmapped_columns.csv: one row per export and column the config does not map."""
    rows = [
        {"region": r["region"], "source_file": r["source_file"], "column": u["column"], "non_empty": u["non_empty"]}
        for r in records
        for u in r.get("unmapped_columns", [])
    ]
    table = pd.DataFrame(rows, columns=UNMAPPED_COLUMNS)
    return table.sort_values(["region", "source_file", "column"], kind="stable").reset_index(drop=True)
