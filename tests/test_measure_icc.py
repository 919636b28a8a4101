"""ICC and design effect from the null nested mixed model."""

import numpy as np
import pandas as pd
import pytest
from fixtures.measure import QUESTIONNAIRE

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.measure.icc import ICC_COLUMNS, icc_table, null_model_variances

Q = load_questionnaire(QUESTIONNAIRE)


def nested_data(seed=8, regions=6, partnerships=8, per=25, var_r=0.3, var_p=0.2, var_e=1.0):
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(regions):
        u_r = rng.normal(0, np.sqrt(var_r))
        for p in range(partnerships):
            u_p = rng.normal(0, np.sqrt(var_p))
            for _ in range(per):
                rows.append(
                    {
                        "region": f"r{r}",
                        "partnership_id": f"P-{p:02d}",
                        "y": 3 + u_r + u_p + rng.normal(0, np.sqrt(var_e)),
                    }
                )
    return pd.DataFrame(rows)


def test_partnership_ids_are_nested_in_regions():
    # P-00 exists in every region: it must count as a different partnership in each
    df = nested_data()
    table, _ = icc_table(df.rename(columns={"y": "REL"}).assign(FAC=df["y"], PRO=df["y"], ORG=df["y"], DUR=df["y"]), Q)
    part = table[(table["scale"] == "REL") & (table["level"] == "partnership")].iloc[0]
    assert part["n_groups"] == 48
    assert part["mean_cluster_size"] == 25


def test_variances_recovered_roughly():
    df = nested_data(seed=21, regions=12, partnerships=10, per=20)
    var, _ = null_model_variances(df, "y")
    assert var["residual"] == pytest.approx(1.0, rel=0.1)
    assert var["partnership"] == pytest.approx(0.2, rel=0.5)
    assert 0.05 < var["region"] < 0.9


def test_matches_lme4_on_validation_sample():
    # lme4::lmer(y ~ 1 + (1|region) + (1|partnership), REML) on tests/data/measurement_sample.csv
    # (docs/validation/measurement_r_icc.csv)
    from pathlib import Path

    from borgingsmonitor.core.scales import score_scales

    root = Path(__file__).resolve().parents[1]
    data = pd.read_csv(root / "tests" / "data" / "measurement_sample.csv")
    data = score_scales(data.astype({c: "Int64" for c in Q.item_codes}), Q)
    r = pd.read_csv(root / "docs" / "validation" / "measurement_r_icc.csv").set_index("scale")
    table, _ = icc_table(data, Q)
    v = table.pivot(index="scale", columns="level", values="variance")
    np.testing.assert_allclose(v.loc[r.index, "region"], r["var_region"], atol=5e-4)
    np.testing.assert_allclose(v.loc[r.index, "partnership"], r["var_partnership"], atol=5e-4)
    np.testing.assert_allclose(v.loc[r.index, "residual"], r["var_residual"], atol=5e-4)


def test_icc_table_definitions():
    df = nested_data()
    frame = df.assign(REL=df["y"], FAC=df["y"], PRO=df["y"], ORG=df["y"], DUR=df["y"])
    frame.loc[:9, "DUR"] = np.nan
    table, _ = icc_table(frame, Q)
    assert list(table.columns) == ICC_COLUMNS
    for _scale, rows in table.groupby("scale"):
        rows = rows.set_index("level")
        total = rows["variance"].sum()
        assert rows.loc["partnership", "icc"] == pytest.approx(rows.loc["partnership", "variance"] / total)
        assert rows.loc["region", "icc"] == pytest.approx(rows.loc["region", "variance"] / total)
        assert rows.loc["partnership", "icc_cluster"] == pytest.approx(
            rows.loc["partnership", "icc"] + rows.loc["region", "icc"]
        )
        for level in ("partnership", "region"):
            m = rows.loc[level, "mean_cluster_size"]
            assert m == pytest.approx(rows.loc[level, "n"] / rows.loc[level, "n_groups"])
            assert rows.loc[level, "design_effect"] == pytest.approx(1 + (m - 1) * rows.loc[level, "icc_cluster"])
    assert table[table["scale"] == "DUR"]["n"].iloc[0] == len(df) - 10
