"""The row format of results/tables/models.csv, shared by every model that writes into it.

One row per (model, term). A model's own extra quantities (ICCs, variance components, cut
points, a likelihood-ratio statistic) are rows too, with a descriptive term name, so the file
keeps the contract's columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from borgingsmonitor.core.tables import write_table

MODEL_COLUMNS = [
    "model",
    "term",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "n_obs",
    "n_groups",
    "method",
    "df",
]
# df: the t reference's degrees of freedom (Satterthwaite for nested_reml fixed effects,
# Barnard-Rubin after multiple imputation); empty where the interval and p use the normal (z)
TERM_COLUMNS = ["term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "df"]
# rows a mixed model adds after its fixed effects (no standard error); ordinal models add cut_a|b
VARIANCE_TERMS = (
    "var_region",
    "var_partnership",
    "var_residual",
    "icc_region",
    "icc_partnership",
    "icc_same_partnership",
    "design_effect",
    "design_effect_nested",
    "loglik",
)


# rows of a split (hybrid) model after its fixed effects: the difference of two between effects,
# e.g. difference:REL_between-FAC_between = REL_between - FAC_between, with its t interval
DIFFERENCE = "difference:"


def difference_term(a: str, b: str) -> str:
    return f"{DIFFERENCE}{a}-{b}"


def wald_terms(params: pd.Series, bse: pd.Series, level: float = 0.95, df=None) -> pd.DataFrame:
    """Terms with normal (or t, when df is given: a number or one per term) Wald intervals and
    two-sided p-values; the df column is empty for normal ones."""
    params = pd.Series(params, dtype=float)
    bse = pd.Series(bse, dtype=float).reindex(params.index)
    alpha = 1 - level
    if df is None:
        crit = stats.norm.ppf(1 - alpha / 2)
        z = params / bse
        p = 2 * stats.norm.sf(np.abs(z))
        df_out = np.full(len(params), np.nan)
    else:
        df = pd.Series(df, dtype=float).reindex(params.index) if np.ndim(df) else df
        crit = stats.t.ppf(1 - alpha / 2, df)
        z = params / bse
        p = 2 * stats.t.sf(np.abs(z), df)
        df_out = np.broadcast_to(np.asarray(df, dtype=float), (len(params),)).copy()
    return pd.DataFrame(
        {
            "term": params.index.astype(str),
            "estimate": params.to_numpy(),
            "std_error": bse.to_numpy(),
            "ci_low": (params - crit * bse).to_numpy(),
            "ci_high": (params + crit * bse).to_numpy(),
            "p_value": np.asarray(p, dtype=float),
            "df": df_out,
        }
    )


def extra_terms(values: dict[str, float]) -> pd.DataFrame:
    """Rows for quantities that are reported without a standard error (ICCs, variances)."""
    return pd.DataFrame(
        {
            "term": list(values),
            "estimate": [float(v) for v in values.values()],
            "std_error": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "p_value": np.nan,
            "df": np.nan,
        }
    )


def count_groups(n_groups):
    """n_groups as one integer: for nested groupings (a dict, outer level first) the finest level.

    The column stays numeric for the readers' spreadsheets; the outer levels' counts are in the
    `method` text of the models that have them.
    """
    if n_groups is None:
        return pd.NA
    if isinstance(n_groups, dict):
        return int(list(n_groups.values())[-1]) if n_groups else pd.NA
    return int(n_groups)


def model_rows(model: str, terms: pd.DataFrame, n_obs, n_groups, method: str) -> pd.DataFrame:
    """A model's terms (columns TERM_COLUMNS, missing ones empty) as models.csv rows."""
    out = pd.DataFrame({"term": terms["term"].astype(str).to_numpy()})
    for col in TERM_COLUMNS[1:-1]:
        out[col] = pd.to_numeric(terms[col], errors="coerce").to_numpy(float) if col in terms else np.nan
    out.insert(0, "model", model)
    out["p_adjusted"] = np.nan
    out["n_obs"] = int(n_obs) if n_obs is not None else pd.NA
    out["n_obs"] = out["n_obs"].astype("Int64")
    out["n_groups"] = pd.array([count_groups(n_groups)] * len(out), dtype="Int64")
    out["method"] = method
    out["df"] = pd.to_numeric(terms["df"], errors="coerce").to_numpy(float) if "df" in terms else np.nan
    return out[MODEL_COLUMNS]


def empty_rows() -> pd.DataFrame:
    return model_rows("", pd.DataFrame({"term": []}), None, None, "").iloc[0:0]


def write_model_table(table: pd.DataFrame, path) -> None:
    """Write rows with the contract's columns, full precision, empty for missing."""
    write_table(table[MODEL_COLUMNS], path)


def read_model_table(path) -> pd.DataFrame:
    table = pd.read_csv(path, dtype={"model": str, "term": str, "method": str}, keep_default_na=False, na_values=[""])
    if "df" not in table:
        table["df"] = np.nan  # tables written before the df column
    for col in ["estimate", "std_error", "ci_low", "ci_high", "p_value", "p_adjusted", "df"]:
        table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
    for col in ["n_obs", "n_groups"]:
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("Int64")
    table["method"] = table["method"].fillna("").astype(str)
    return table[MODEL_COLUMNS]


def gather(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """All models' rows in one table, ordered by model name, each model's terms in fitted order."""
    if not tables:
        return empty_rows()
    rows = pd.concat([t[MODEL_COLUMNS] for t in tables], ignore_index=True)
    duplicated = rows.duplicated(["model", "term"])
    if duplicated.any():
        dupes = rows.loc[duplicated, ["model", "term"]].drop_duplicates().to_records(index=False).tolist()
        raise ValueError(f"(model, term) rows occur more than once: {dupes}")
    return rows.sort_values("model", kind="stable").reset_index(drop=True)
