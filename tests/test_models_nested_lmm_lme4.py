"""Against recorded lme4 fits (docs/validation/nested_lmm_lme4.R on tests/data/nested_lmm_lme4_*.csv).

lme4 stops its optimiser (bobyqa) at about 1e-7 relative in the variance parameters, so variance
components are compared at 5e-6; fixed effects, SEs and the log-likelihood at 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from borgingsmonitor.models import nested_lmm as nl

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "nested_lmm_lme4_results.json").read_text())


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("name", ["main", "boundary"])
def test_equals_lme4(name, method):
    df = pd.read_csv(DATA / f"nested_lmm_lme4_{name}.csv")
    ref = REF["fits"][name][method]
    res = nl.fit_nested_lmm("y ~ x1 + x2 + C(wave)", df, method=method)
    assert res.converged
    assert set(res.params.index) == set(ref["params"])
    idx = res.params.index
    np.testing.assert_allclose(res.params, pd.Series(ref["params"])[idx], rtol=1e-6)
    np.testing.assert_allclose(res.bse, pd.Series(ref["bse"])[idx], rtol=1e-6)
    for comp in ("region", "partnership", "residual"):
        np.testing.assert_allclose(res.sigma2[comp], ref["sigma2"][comp], rtol=5e-6, atol=1e-12, err_msg=comp)
    assert res.loglik == pytest.approx(ref["loglik"], rel=1e-9)
    assert res.n_obs == ref["n_obs"]
    assert res.n_groups == {
        "region": ref["n_groups"]["region"],
        "partnership": ref["n_groups"]["partnership_id:region"],
    }


def test_lme4_boundary_fit_is_exactly_zero_like_ours():
    assert REF["fits"]["boundary"]["REML"]["singular"]
    df = pd.read_csv(DATA / "nested_lmm_lme4_boundary.csv")
    res = nl.fit_nested_lmm("y ~ x1 + x2 + C(wave)", df)
    assert res.sigma2["region"] == 0.0
    assert res.ratios["region"] == 0.0
    assert res.sigma2["partnership"] > 0
