"""provenance.json: which inputs, settings, package versions and code version produced the results."""

from __future__ import annotations

import csv
import io
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from borgingsmonitor.ingest.manifest import read_manifests, sha256_file

MAIN_PACKAGES = (
    "borgingsmonitor",
    "snakemake",
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
    "statsmodels",
    "semopy",
    "lifelines",
    "patsy",
    "pandera",
    "openpyxl",
    "pyreadstat",
    "matplotlib",
    "seaborn",
    "jinja2",
    "python-docx",
    "pyyaml",
)
CSV_HEADER_ROWS = {"qualtrics": 3}  # Qualtrics exports carry two metadata rows under the header


def decode(data: bytes, encoding: str | None) -> str:
    for enc in ([encoding] if encoding else []) + ["utf-8-sig", "cp1252", "latin-1"]:
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")


def count_csv_records(path, encoding: str | None = None, delimiter: str | None = None) -> int:
    """Records, not lines: quoted fields may hold newlines."""
    text = decode(Path(path).read_bytes(), encoding)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    return sum(1 for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if record)


def count_xlsx_rows(path, sheet: str | None = None) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
        return sum(1 for row in ws.iter_rows(values_only=True) if any(v not in (None, "") for v in row))
    finally:
        book.close()


def count_sav_rows(path) -> int:
    import pyreadstat

    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    return int(meta.number_rows)


def header_rows(path, source_config: dict) -> int:
    if source_config.get("header_rows") is not None:
        return int(source_config["header_rows"])
    fmt = str(source_config.get("tool", source_config.get("format", ""))).lower()
    return CSV_HEADER_ROWS.get(fmt, 1)


def count_data_rows(path, source_config: dict | None = None) -> int | None:
    """Data rows of a raw export or table, dispatching on the file type (csv/tsv/txt, xlsx, sav)."""
    cfg = source_config or {}
    suffix = Path(path).suffix.lower()
    if suffix == ".sav":
        return count_sav_rows(path)
    if suffix in (".xlsx", ".xlsm"):
        return max(count_xlsx_rows(path, cfg.get("sheet")) - header_rows(path, cfg), 0)
    if suffix in (".csv", ".tsv", ".txt"):
        records = count_csv_records(path, cfg.get("encoding"), cfg.get("delimiter") or cfg.get("sep"))
        return max(records - header_rows(path, cfg), 0)
    if suffix in (".yaml", ".yml", ".json"):
        return None  # not a table
    raise ValueError(f"cannot count data rows of {path}: unknown file type {suffix!r}")


def shown_path(path, base=None) -> str:
    """The path relative to the repository where it lies inside it."""
    shown = Path(path)
    if base is not None:
        try:
            shown = Path(path).resolve().relative_to(Path(base).resolve())
        except ValueError:
            pass
    return shown.as_posix()


def describe_file(path, kind: str, source_config: dict | None = None, base=None) -> dict:
    return {
        "path": shown_path(path, base),
        "kind": kind,
        "sha256": sha256_file(path),
        "bytes": Path(path).stat().st_size,
        "rows": count_data_rows(path, source_config),
    }


def package_versions(names=MAIN_PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return dict(sorted(versions.items()))


def git_state(repo_dir=".") -> dict:
    def run(*args):
        return subprocess.run(["git", *args], cwd=repo_dir, capture_output=True, text=True, timeout=30, check=True)

    try:
        commit = run("rev-parse", "HEAD").stdout.strip()
        dirty = bool(run("status", "--porcelain", "--untracked-files=no").stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": dirty}


def git_commit(repo_dir=".") -> str:
    """The commit only (not the dirty flag): as a rule param it reruns provenance on a new commit."""
    return git_state(repo_dir)["commit"]


def describe_export(record: dict, base=None) -> dict:
    """An export as ingestion recorded it (ingest/manifest.py): exports are never parsed again here."""
    keys = ("sha256", "bytes", "rows", "region", "tool")
    return {"path": shown_path(record["path"], base), "kind": "export", **{k: record[k] for k in keys}}


def build_provenance(manifests: list, registry, questionnaire, config: dict, repo_dir=".") -> dict:
    """`manifests`: the ingestion jobs' manifest files."""
    inputs = [describe_export(record, repo_dir) for record in read_manifests(manifests)]
    inputs.append(describe_file(registry, "registry", {}, repo_dir))
    inputs.append(describe_file(questionnaire, "questionnaire", {}, repo_dir))
    return {
        "config": config,
        "git": git_state(repo_dir),
        "inputs": sorted(inputs, key=lambda f: (f["kind"], f["path"])),
        "packages": package_versions(),
        "python": platform.python_version(),
    }


def to_json(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def write_provenance(obj: dict, path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(to_json(obj), encoding="utf-8", newline="\n")
