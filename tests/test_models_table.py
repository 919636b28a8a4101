import numpy as np
import pandas as pd
import pytest

from borgingsmonitor.models.table import (
    MODEL_COLUMNS,
    extra_terms,
    gather,
    model_rows,
    read_model_table,
    wald_terms,
    write_model_table,
)


def test_wald_terms_normal_interval_and_p():
    terms = wald_terms(pd.Series({"a": 1.96, "b": 0.0}), pd.Series({"a": 1.0, "b": 2.0}))
    a = terms.set_index("term").loc["a"]
    assert a.ci_low == pytest.approx(1.96 - 1.959964, abs=1e-5)
    assert a.p_value == pytest.approx(0.05, abs=1e-4)
    assert terms.set_index("term").loc["b", "p_value"] == pytest.approx(1.0)


def test_model_rows_have_contract_columns_and_numeric_groups():
    rows = model_rows(
        "m", wald_terms(pd.Series({"x": 1.0}), pd.Series({"x": 0.5})), 120, {"region": 4, "partnership_id": 20}, "REML"
    )
    assert list(rows.columns) == MODEL_COLUMNS
    assert rows.loc[0, "n_groups"] == 20  # the finest level
    assert rows.loc[0, "n_obs"] == 120
    assert np.isnan(rows.loc[0, "p_adjusted"])


def test_write_read_roundtrip_keeps_values_and_empties(tmp_path):
    terms = pd.concat([wald_terms(pd.Series({"x": 1 / 3}), pd.Series({"x": 0.1})), extra_terms({"icc_region": 0.125})])
    rows = model_rows("m", terms, 50, 7, "REML; x")
    path = tmp_path / "m.csv"
    write_model_table(rows, path)
    text = path.read_text()
    assert text.splitlines()[0] == ",".join(MODEL_COLUMNS)
    assert "nan" not in text.lower()
    back = read_model_table(path)
    assert back.loc[0, "estimate"] == pytest.approx(1 / 3, rel=1e-9)
    assert np.isnan(back.loc[1, "std_error"])
    assert back.loc[1, "n_groups"] == 7


def test_gather_sorts_by_model_keeps_term_order_and_rejects_duplicates():
    t = wald_terms(pd.Series({"z": 1.0, "a": 2.0}), pd.Series({"z": 1.0, "a": 1.0}))
    out = gather([model_rows("b_model", t, 10, 2, "x"), model_rows("a_model", t, 10, 2, "x")])
    assert out["model"].tolist() == ["a_model", "a_model", "b_model", "b_model"]
    assert out["term"].tolist() == ["z", "a", "z", "a"]
    with pytest.raises(ValueError, match="more than once"):
        gather([model_rows("a", t, 10, 2, "x"), model_rows("a", t, 10, 2, "x")])
