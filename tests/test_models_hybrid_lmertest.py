"""The hybrid model (conditions_hybrid) against recorded lme4 + lmerTest fits.

docs/validation/hybrid_validate.py --reference wrote tests/data/hybrid_sim_*.csv (simulated
analysed rows, with a partnership-within-wave variance) and R's numbers; no R is needed here.
lme4's optimiser stops at about 1e-7 relative, lmerTest's derivatives are numerical: estimates,
SEs and variances are compared at 1e-5 relative, Satterthwaite df at 1e-5 relative, p at 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.models import HYBRID_SPEC
from scipy import stats

from borgingsmonitor.models import declared
from borgingsmonitor.models.table import DIFFERENCE

DATA = Path(__file__).parent / "data"
SPEC = HYBRID_SPEC


def load(name):
    rows = pd.read_csv(DATA / f"hybrid_{name}.csv", dtype={"region": str, "partnership_id": str})
    return rows, json.loads((DATA / f"hybrid_{name}_lmertest.json").read_text())


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("name", ["sim_fixed", "sim_random"])
def test_equals_lmertest(name, method):
    rows, ref = load(name)
    r = ref[method]
    table = declared.fit_declared({**SPEC, "region_effect": "auto", "method": method}, rows)
    assert ("region fixed" in table["method"].iloc[0]) == (ref["region"] == "fixed")
    fixed = table[table["std_error"].notna() & ~table["term"].str.startswith(DIFFERENCE)].set_index("term")
    assert set(fixed.index) == set(r["params"])
    idx = list(r["params"])
    np.testing.assert_allclose(fixed.loc[idx, "estimate"], pd.Series(r["params"])[idx], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(fixed.loc[idx, "std_error"], pd.Series(r["bse"])[idx], rtol=1e-5)
    np.testing.assert_allclose(fixed.loc[idx, "df"], pd.Series(r["df"])[idx], rtol=1e-5)
    np.testing.assert_allclose(fixed.loc[idx, "p_value"], pd.Series(r["p_value"])[idx], rtol=1e-4, atol=1e-6)
    extra = table[table["std_error"].isna()].set_index("term")["estimate"]
    for comp, value in r["sigma2"].items():
        assert extra[f"var_{comp}"] == pytest.approx(value, rel=1e-5), comp
    assert extra["loglik"] == pytest.approx(r["loglik"], rel=1e-9)
    assert table["n_obs"].iloc[0] == r["n_obs"]
    # the t interval on the Satterthwaite df
    row = fixed.loc["REL_between"]
    from scipy import stats

    assert row.ci_high - row.estimate == pytest.approx(stats.t.ppf(0.975, row.df) * row.std_error)


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("name", ["sim_fixed", "sim_random"])
def test_between_differences_equal_lmertest_contest(name, method):
    """Each difference of two between effects: estimate and SE from the covariance, its own
    Satterthwaite df and p (lmerTest contestMD), the t interval on that df."""
    rows, ref = load(name)
    r = pd.DataFrame(ref[method]["differences"]).T
    table = declared.fit_declared({**SPEC, "region_effect": "auto", "method": method}, rows).set_index("term")
    ours = table.loc[list(r.index)]
    assert len(r) == 6
    np.testing.assert_allclose(ours["estimate"], r["estimate"].astype(float), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ours["std_error"], r["std_error"].astype(float), rtol=1e-5)
    np.testing.assert_allclose(ours["df"], r["df"].astype(float), rtol=1e-5)
    np.testing.assert_allclose(ours["p_value"], r["p_value"].astype(float), rtol=1e-4, atol=1e-6)
    crit = stats.t.ppf(0.975, ours["df"])
    np.testing.assert_allclose(ours["ci_high"] - ours["estimate"], crit * ours["std_error"], rtol=1e-10)
