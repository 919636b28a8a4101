"""The cleaning rule's step: the cleaning rules, the clean data set and the ledger of every raw row."""

from __future__ import annotations

import logging

import pandas as pd

from borgingsmonitor.clean import rules
from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.registry import load_registry
from borgingsmonitor.core.tables import write_table
from borgingsmonitor.ingest.manifest import read_manifests, unmapped_table

log = logging.getLogger(__name__)


def clean(input, output, params) -> None:
    responses, exclusions, attrition, issues = clean_tables(
        harmonised=input.harmonised,
        ingest_issues=input.issues,
        registry=input.registry,
        questionnaire=input.questionnaire,
        regions=params.regions,
        cleaning=params.cleaning,
    )
    responses.to_parquet(output.responses, index=False)
    write_table(exclusions, output.exclusions)
    write_table(attrition, output.attrition)
    write_table(issues, output.value_issues)
    unmapped = unmapped_table(read_manifests(input.manifests))
    write_table(unmapped, output.unmapped_columns)
    log.info("%d column(s) of the exports are not mapped by the config", len(unmapped))


def clean_tables(harmonised: str, ingest_issues: str, registry: str, questionnaire: str, regions: dict, cleaning: dict):
    """Apply the cleaning rules to the harmonised table; returns (responses, exclusions, attrition, value issues)."""
    settings = rules.CleaningSettings(
        fieldwork={region: spec["fieldwork"] for region, spec in regions.items()},
        speeder_seconds=float(cleaning.get("speeder_seconds", 60)),
    )
    issues = pd.read_csv(ingest_issues, dtype={"value": str}, keep_default_na=False)
    result = rules.clean(
        pd.read_parquet(harmonised), load_registry(registry), load_questionnaire(questionnaire), settings, issues
    )
    attrition = result[2]
    log.info(
        "ledger: %d raw rows = %d analysed + %d excluded",
        attrition["raw_rows"].sum(),
        attrition["analysed"].sum(),
        len(result[1]),
    )
    return result
