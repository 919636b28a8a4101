"""The measurement rules' steps: reliability, CFA, ICCs and descriptives of the clean responses.

Each step imports its own analysis: four jobs start from this module, and the CFA's (semopy, with
sympy and scikit-learn, ~1.7 s) and the ICC's (statsmodels) imports would cost every one of them.
"""

from __future__ import annotations

import logging

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.responses import GROUP_COLUMNS, read_responses
from borgingsmonitor.core.tables import write_table

log = logging.getLogger(__name__)


def reliability(input, output, params) -> None:
    from borgingsmonitor.measure.reliability import item_statistics_table, reliability_table

    questionnaire = load_questionnaire(input.questionnaire)
    responses = read_responses(input.responses, ["wave", *questionnaire.item_codes])
    table = reliability_table(responses, questionnaire, params.min_group_size, params.ci_level)
    items = item_statistics_table(responses, questionnaire, params.min_group_size)
    log.info("reliability:\n%s", table.to_string())
    write_table(table, output.reliability)
    write_table(items, output.item_statistics)


def cfa(input, output, params) -> None:
    from borgingsmonitor.measure.cfa import five_factor_cfa

    fit, loadings = five_factor_cfa(read_responses(input.responses), load_questionnaire(input.questionnaire))
    log.info("fit:\n%s", fit.T.to_string())
    write_table(fit, output.fit)
    write_table(loadings, output.loadings)


def icc(input, output, params) -> None:
    from borgingsmonitor.measure.icc import icc_table

    questionnaire = load_questionnaire(input.questionnaire)
    responses = read_responses(input.responses, [*GROUP_COLUMNS, *questionnaire.scales])
    table, warnings = icc_table(responses, questionnaire)
    for message in warnings:
        log.warning("MixedLM: %s", message)
    log.info("ICCs:\n%s", table.to_string())
    write_table(table, output.icc)


def descriptives(input, output, params) -> None:
    from borgingsmonitor.measure.descriptives import descriptives_table

    questionnaire = load_questionnaire(input.questionnaire)
    scales = list(questionnaire.scales)
    responses = read_responses(input.responses, [*GROUP_COLUMNS, "wave", *scales], GROUP_COLUMNS)
    table = descriptives_table(responses, scales, params.min_group_size)
    log.info("%d of %d groups suppressed", int(table["suppressed"].sum()), len(table))
    write_table(table, output.descriptives)
