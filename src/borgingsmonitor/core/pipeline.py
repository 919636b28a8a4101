"""The steps the workflow's scripts run, as plain functions of paths and settings (testable without Snakemake)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pandas as pd

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.contracts import ISSUE_COLUMNS
from borgingsmonitor.ingest.harmonise import Context, build_label_sets, harmonise_file
from borgingsmonitor.ingest import ADAPTERS
from borgingsmonitor.ingest.privacy import load_secret
from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.registry import load_registry
from borgingsmonitor.ingest.schema import harmonised_columns, harmonised_schema
from borgingsmonitor.ingest.sources import FileUnit

log = logging.getLogger("borgingsmonitor")


def setup_logging(log_path: str | None) -> None:
    """Send the step's messages to its Snakemake log (and keep errors visible on the terminal)."""
    if log_path:
        sys.stderr = open(log_path, "w", buffering=1)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", force=True)


def fail(err: Exception) -> None:
    """Report a bad input where the user looks (the log and the terminal) and stop the step."""
    message = f"ERROR: {err}"
    print(message, file=sys.stderr)
    if sys.stderr is not sys.__stderr__:
        print(message, file=sys.__stderr__)
    raise SystemExit(1)


def ingest_file(export: str, unit: FileUnit, region_spec: dict, questionnaire: str, registry: str, label_sets: dict, privacy: dict):
    """Read one raw export and return (harmonised rows, value issues)."""
    return ingest_region([export], [unit], region_spec, questionnaire, registry, label_sets, privacy)


def ingest_region(exports: list[str], units: list[FileUnit], region_spec: dict, questionnaire: str, registry: str, label_sets: dict, privacy: dict):
    """All of a region's exports in one process (the questionnaire, registry and secret are read once)."""
    q = load_questionnaire(questionnaire)
    ctx = Context(
        questionnaire=q,
        label_sets=build_label_sets(q, label_sets),
        registry=load_registry(registry),
        secret=load_secret(privacy.get("secret_file"), privacy.get("create_secret_if_missing", False)),
        scrub_names=tuple(privacy.get("scrub_names") or ()),
        use_deduce=privacy.get("use_deduce", True),
    )
    results = [_ingest_one(export, unit, ctx, region_spec) for export, unit in zip(exports, units)]
    return pd.concat([t for t, _ in results], ignore_index=True), pd.concat([i for _, i in results], ignore_index=True)


def _ingest_one(export: str, unit: FileUnit, ctx: Context, region_spec: dict):
    raw = ADAPTERS[unit.settings.tool].read(Path(export), unit.settings)
    result = harmonise_file(unit, raw, ctx, region_spec)
    if result.unmapped_columns:
        log.info("%s: %d column(s) not mapped, ignored: %s", unit.path, len(result.unmapped_columns), ", ".join(result.unmapped_columns))
    log.info("%s: %d data rows read, %d harmonised", unit.path, len(raw.data), len(result.table))
    if len(result.table) != len(raw.data):  # the ledger starts here: no row may vanish
        raise InputError(unit.path, f"{len(raw.data)} rows read but {len(result.table)} harmonised")
    return result.table[harmonised_columns(ctx.questionnaire)], result.issues


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


def clean_step(harmonised: str, ingest_issues: str, registry: str, questionnaire: str, regions: dict, cleaning: dict):
    """Apply the cleaning rules; returns (responses, exclusions, attrition, value issues)."""
    from borgingsmonitor.clean.rules import CleaningSettings, clean

    settings = CleaningSettings(
        fieldwork={region: spec["fieldwork"] for region, spec in regions.items()},
        speeder_seconds=float(cleaning.get("speeder_seconds", 60)),
    )
    issues = pd.read_csv(ingest_issues, dtype={"value": str}, keep_default_na=False)
    result = clean(pd.read_parquet(harmonised), load_registry(registry), load_questionnaire(questionnaire), settings, issues)
    attrition = result[2]
    log.info("ledger: %d raw rows = %d analysed + %d excluded", attrition["raw_rows"].sum(), attrition["analysed"].sum(), len(result[1]))
    return result
