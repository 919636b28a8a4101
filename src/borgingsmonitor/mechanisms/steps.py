"""The mechanism rules' steps: mediation (RQ4), the network-age dip (RQ5) and partnership survival (RQ6)."""

from __future__ import annotations

import logging
import time

from borgingsmonitor.core.registry import load_registry
from borgingsmonitor.core.responses import read_responses
from borgingsmonitor.mechanisms.mediation import write_mediation
from borgingsmonitor.mechanisms.mediation_multilevel import COLUMNS as MEDIATION_COLUMNS
from borgingsmonitor.mechanisms.mediation_multilevel import h5_table
from borgingsmonitor.mechanisms.network_dip import COLUMNS, NotEstimable, not_estimable, write_contrasts, write_curve
from borgingsmonitor.mechanisms.network_dip import network_dip as fit_network_dip
from borgingsmonitor.mechanisms.survival import (
    RESPONSE_COLUMNS,
    at_risk_years,
    excluded_partnerships,
    survival_table,
    write_survival,
)
from borgingsmonitor.models.table import write_model_table

log = logging.getLogger(__name__)


def mediation(input, output, params) -> None:
    responses = read_responses(input.responses, MEDIATION_COLUMNS)
    n_boot, n_draws, seed = int(params.n_boot), int(params.mc_draws), int(params.seed)
    log.info(
        "%d responses; %d partnership-clustered resamples, %d Monte Carlo draws, seed %d",
        len(responses),
        n_boot,
        n_draws,
        seed,
    )
    start = time.perf_counter()
    table = h5_table(responses, n_boot=n_boot, n_draws=n_draws, seed=seed)
    log.info("bootstrap and multilevel fits done in %.2f s", time.perf_counter() - start)
    log.info("mediation:\n%s", table.to_string())
    write_mediation(table, output.table)


def network_dip(input, output, params) -> None:
    start = time.perf_counter()
    responses = read_responses(input.responses, columns=COLUMNS)
    try:
        result = fit_network_dip(
            responses,
            df=int(params.spline_df),
            min_group_size=int(params.min_group_size),
            min_partnerships=int(params.min_partnerships),
            n_boot=int(params.n_boot),
            seed=int(params.seed),
        )
    except NotEstimable as err:
        log.warning("network dip not estimable: %s", err)
        result = not_estimable(str(err), len(responses))
        write_curve(result["curve"], output.curve)
        write_contrasts(result["contrasts"], output.contrasts)
        write_model_table(result["rows"], output.model)
        return
    log.info("%d complete responses; knots %s; %.2f s", result["n_obs"], result["knots"], time.perf_counter() - start)
    lrt = {k: v for k, v in result["lrt"].items() if k != "bootstrap"}
    boot = {k: v for k, v in result["lrt"].get("bootstrap", {}).items() if k != "values"}
    log.info("LRT spline vs linear: %s; parametric bootstrap: %s", lrt, boot)
    log.info("contrasts:\n%s", result["contrasts"].to_string())
    for label in ("fit_linear", "fit_spline"):
        fit = result[label]
        log.info("%s: loglik %.6f, converged %s, %s", label, fit.loglik, fit.converged, getattr(fit, "message", ""))
    log.info("curve:\n%s", result["curve"].to_string())
    write_curve(result["curve"], output.curve)
    write_contrasts(result["contrasts"], output.contrasts)
    write_model_table(result["rows"], output.model)


def survival(input, output, params) -> None:
    responses = read_responses(input.responses, RESPONSE_COLUMNS)
    registry = load_registry(input.registry)
    censor_year = params.censor_year
    years = at_risk_years(registry, responses, censor_year)
    log.info("censor year %s (first year not yet observed)", censor_year or int(responses["wave"].max()) + 1)
    log.info(
        "%d partnership-years on the age scale of %d registry partnerships, %d stops; %d surveyed years of %d partnerships, %d stops",
        len(years),
        years["partnership_id"].nunique(),
        int(years["event"].sum()),
        int(years["surveyed"].sum()),
        years.loc[years["surveyed"], "partnership_id"].nunique(),
        int(years.loc[years["surveyed"], "event"].sum()),
    )
    log.info(
        "not in the registered (surveyed) partnership-years:\n%s",
        excluded_partnerships(registry, responses, censor_year).to_string(),
    )
    table = survival_table(registry, responses, censor_year, min_events_interaction=int(params.min_events_interaction))
    log.info("survival:\n%s", table.to_string())
    write_survival(table, output.table)
