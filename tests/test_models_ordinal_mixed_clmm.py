"""ordered_logit_mixed against recorded ordinal::clmm fits (tests/data/ordinal_mixed_clmm.json, made by
docs/validation/ordinal_mixed_compare.py and ordinal_mixed_clmm.R on tests/data/ordinal_mixed_sim.csv;
R is not needed here).

Estimates, random-effect SD and log-likelihood are compared with clmm run to tight tolerances; the
standard errors with clmm's defaults, whose numerical Hessian is the steadier one (docs/validation-models.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from borgingsmonitor.models import ordinal_mixed

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "ordinal_mixed_clmm.json").read_text())


def our_name(r_name: str) -> str:
    return f"cut_{r_name}" if re.fullmatch(r"[^|]+\|[^|]+", r_name) else r_name


@pytest.fixture(scope="module")
def sim():
    return pd.read_csv(DATA / "ordinal_mixed_sim.csv")


@pytest.mark.parametrize("name", ["sim_laplace", "sim_agq7"])
def test_equals_clmm(sim, name):
    ref = REF[name]
    terms, fit = ordinal_mixed.fit_terms("y ~ x1 + x2", sim, "g", ref["nagq"], level="g")
    rows = terms.set_index("term")
    assert fit.converged
    assert (fit.n_obs, fit.n_groups) == (ref["tight"]["n_obs"], ref["tight"]["n_groups"])
    for r_name, value in ref["tight"]["coef"].items():
        assert rows.loc[our_name(r_name), "estimate"] == pytest.approx(value, abs=1e-4), r_name
    for r_name, value in ref["default"]["se"].items():
        assert rows.loc[our_name(r_name), "std_error"] == pytest.approx(value, abs=1e-4), r_name
    assert rows.loc["sd_g", "estimate"] == pytest.approx(ref["tight"]["sd"], abs=1e-4)
    assert rows.loc["loglik", "estimate"] == pytest.approx(ref["tight"]["loglik"], abs=1e-4)


def test_laplace_and_quadrature_differ_as_in_clmm(sim):
    """The two approximations are different likelihoods: the gap between them is clmm's gap."""
    laplace = ordinal_mixed.fit_terms("y ~ x1 + x2", sim, "g", 1)[1]
    agq = ordinal_mixed.fit_terms("y ~ x1 + x2", sim, "g", 7)[1]
    ref_gap = REF["sim_agq7"]["tight"]["loglik"] - REF["sim_laplace"]["tight"]["loglik"]
    assert abs(ref_gap) > 1e-3
    assert agq.loglik - laplace.loglik == pytest.approx(ref_gap, abs=1e-5)
