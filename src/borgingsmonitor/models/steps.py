"""The model rules' steps: one declared model, the hypotheses table, and all models in one table."""

from __future__ import annotations

import logging

import pandas as pd
import pyarrow.parquet as pq

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.responses import read_columns
from borgingsmonitor.core.tables import write_table
from borgingsmonitor.models.declared import columns_used, fit_declared
from borgingsmonitor.models.hypotheses import declared, fill_model_p_adjusted, hypotheses_table
from borgingsmonitor.models.table import gather, read_model_table, write_model_table

log = logging.getLogger(__name__)


def declared_model(input, output, params) -> None:
    """Fit one model declared in config (`params.spec`) to the clean responses."""
    spec = dict(params.spec)
    path = input.responses
    # the grouping columns as categoricals: a respondent key per row is a million strings at 1M rows
    responses = read_columns(path, columns_used(spec, pq.read_schema(path).names), tuple(spec["grouping"]))
    questionnaire = load_questionnaire(input.questionnaire)
    log.info("model %s: %s", spec["name"], spec)
    log.info("%d responses", len(responses))
    rows = fit_declared(spec, responses, reverse_items=questionnaire.reverse_items)
    log.info("rows:\n%s", rows.to_string())
    write_model_table(rows, output.table)


def hypotheses(input, output, params) -> None:
    """One row per declared hypothesis, read from the tables the declaration names."""
    # a term is text: "NA" or "None" would be a term, not a missing value
    tables = {path: pd.read_csv(path, keep_default_na=False, na_values=[""]) for path in input.tables}
    table = hypotheses_table(declared(params.declared), tables, alpha=params.alpha)
    log.info("hypotheses:\n%s", table.to_string())
    write_table(table, output.table)


def models(input, output, params) -> None:
    """Every declared model's rows in one table, with the hypotheses' adjusted p-values filled in."""
    tables = [read_model_table(p) for p in input.models]
    table = fill_model_p_adjusted(gather(tables), pd.read_csv(input.hypotheses), declared(params.declared))
    log.info("%d rows from %d models", len(table), len(tables))
    write_model_table(table, output.table)
