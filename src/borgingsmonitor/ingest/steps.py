"""The ingestion rules' steps: raw exports -> harmonised rows and value issues, then one validated table.

`read_exports`, `read_export` and `gather_harmonised` work on paths and return data frames (the tests use them);
`ingest_file`, `ingest_region` and `harmonised` are the rules' steps: `(input, output, params)`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from borgingsmonitor.core.contracts import ISSUE_COLUMNS
from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.registry import load_registry
from borgingsmonitor.core.tables import write_table
from borgingsmonitor.ingest import ADAPTERS
from borgingsmonitor.ingest.harmonise import Context, build_label_sets, harmonise_file
from borgingsmonitor.ingest.manifest import export_record, write_manifest
from borgingsmonitor.ingest.schema import harmonised_columns, harmonised_schema
from borgingsmonitor.ingest.secret import load_secret
from borgingsmonitor.ingest.sources import FileUnit

log = logging.getLogger(__name__)


def ingest_file(input, output, params) -> None:
    """One raw export -> its harmonised rows and value issues (`params.units` holds its one unit)."""
    ingest_region(input, output, params)


def ingest_region(input, output, params) -> None:
    """All of a region's exports in one job -> one table of harmonised rows, one of value issues, and the
    manifest of the exports read."""
    table, issues, records = _read_all(
        exports=list(input.exports),
        units=[FileUnit.from_params(**unit) for unit in params.units],
        region_spec=params.region_spec,
        questionnaire=input.questionnaire,
        registry=input.registry,
        label_sets=params.label_sets,
        privacy=params.privacy,
    )
    table.to_parquet(output.table, index=False)
    write_table(issues, output.issues)
    write_manifest(records, output.manifest)


def harmonised(input, output, params) -> None:
    """Every file's rows -> the one validated harmonised table, and all value issues."""
    table, issues = gather_harmonised(list(input.tables), list(input.issues), input.questionnaire)
    table.to_parquet(output.table, index=False)
    write_table(issues, output.issues)


def read_export(
    export: str, unit: FileUnit, region_spec: dict, questionnaire: str, registry: str, label_sets: dict, privacy: dict
):
    """Read one raw export and return (harmonised rows, value issues)."""
    return read_exports([export], [unit], region_spec, questionnaire, registry, label_sets, privacy)


def read_exports(
    exports: list[str],
    units: list[FileUnit],
    region_spec: dict,
    questionnaire: str,
    registry: str,
    label_sets: dict,
    privacy: dict,
):
    """Several exports of one region (the questionnaire, registry and secret are read once)."""
    table, issues, _ = _read_all(exports, units, region_spec, questionnaire, registry, label_sets, privacy)
    return table, issues


def _read_all(
    exports: list[str],
    units: list[FileUnit],
    region_spec: dict,
    questionnaire: str,
    registry: str,
    label_sets: dict,
    privacy: dict,
):
    q = load_questionnaire(questionnaire)
    ctx = Context(
        questionnaire=q,
        label_sets=build_label_sets(q, label_sets),
        registry=load_registry(registry),
        secret=load_secret(privacy.get("secret_file"), privacy.get("create_secret_if_missing", False)),
        scrub_names=tuple(privacy.get("scrub_names") or ()),
        use_deduce=privacy.get("use_deduce", True),
    )
    results = [_read_one(export, unit, ctx, region_spec) for export, unit in zip(exports, units)]
    tables, issues, records = zip(*results)
    return pd.concat(tables, ignore_index=True), pd.concat(issues, ignore_index=True), list(records)


def _read_one(export: str, unit: FileUnit, ctx: Context, region_spec: dict):
    raw = ADAPTERS[unit.settings.tool].read(Path(export), unit.settings)
    result = harmonise_file(unit, raw, ctx, region_spec)
    log.info("%s: columns used: %s", unit.path, "; ".join(f"{column} -> {use}" for column, use in result.used.items()))
    if result.metadata:
        log.info(
            "%s: %d column(s) of %s's own, not used: %s",
            unit.path,
            len(result.metadata),
            unit.settings.tool,
            ", ".join(result.metadata),
        )
    if result.unmapped:
        log.info(
            "%s: %d column(s) the config does not map, not used (listed in results/qc/unmapped_columns.csv): %s",
            unit.path,
            len(result.unmapped),
            ", ".join(result.unmapped),
        )
    log.info("%s: %d data rows read, %d harmonised", unit.path, len(raw.data), len(result.table))
    if len(result.table) != len(raw.data):  # the ledger starts here: no row may vanish
        raise InputError(unit.path, f"{len(raw.data)} rows read but {len(result.table)} harmonised")
    record = export_record(export, unit.region, unit.path, unit.settings.tool, len(raw.data), result.unmapped)
    return result.table[harmonised_columns(ctx.questionnaire)], result.issues, record


def gather_harmonised(tables: list[str], issues: list[str], questionnaire: str):
    """Stack the per-file tables in a fixed order and validate the result against the schema."""
    q = load_questionnaire(questionnaire)
    frames = [pd.read_parquet(p) for p in tables]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=harmonised_columns(q))
    table = table.sort_values(["region", "source_file", "source_row"], kind="stable").reset_index(drop=True)
    table = harmonised_schema(q).validate(table, lazy=True, inplace=True)  # no copy of a million rows
    issue_frames = [pd.read_csv(p, dtype={"value": str}, keep_default_na=False) for p in issues]
    all_issues = pd.concat(issue_frames, ignore_index=True) if issue_frames else pd.DataFrame(columns=ISSUE_COLUMNS)
    return table, all_issues
