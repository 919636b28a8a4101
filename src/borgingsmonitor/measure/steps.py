"""The measurement rules' steps: reliability, CFA, ICCs and descriptives of the clean responses."""

from __future__ import annotations

import logging

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.responses import read_responses
from borgingsmonitor.core.tables import write_table
from borgingsmonitor.measure.cfa import five_factor_cfa
from borgingsmonitor.measure.descriptives import descriptives_table
from borgingsmonitor.measure.icc import icc_table
from borgingsmonitor.measure.reliability import item_statistics_table, reliability_table

log = logging.getLogger(__name__)


def reliability(input, output, params) -> None:
    responses = read_responses(input.responses)
    questionnaire = load_questionnaire(input.questionnaire)
    table = reliability_table(responses, questionnaire, params.min_group_size, params.ci_level)
    items = item_statistics_table(responses, questionnaire, params.min_group_size)
    log.info("reliability:\n%s", table.to_string())
    write_table(table, output.reliability)
    write_table(items, output.item_statistics)


def cfa(input, output, params) -> None:
    fit, loadings = five_factor_cfa(read_responses(input.responses), load_questionnaire(input.questionnaire))
    log.info("fit:\n%s", fit.T.to_string())
    write_table(fit, output.fit)
    write_table(loadings, output.loadings)


def icc(input, output, params) -> None:
    table, warnings = icc_table(read_responses(input.responses), load_questionnaire(input.questionnaire))
    for message in warnings:
        log.warning("MixedLM: %s", message)
    log.info("ICCs:\n%s", table.to_string())
    write_table(table, output.icc)


def descriptives(input, output, params) -> None:
    questionnaire = load_questionnaire(input.questionnaire)
    table = descriptives_table(read_responses(input.responses), list(questionnaire.scales), params.min_group_size)
    log.info("%d of %d groups suppressed", int(table["suppressed"].sum()), len(table))
    write_table(table, output.descriptives)
