"""The confirmatory tests H1-H7, Benjamini-Hochberg adjusted, as results/tables/hypotheses.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from borgingsmonitor.core.contracts import MAIN_MODEL

HYPOTHESIS_COLUMNS = ["hypothesis", "test", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "supported"]
# hypothesis -> (source, model or effect, term, expected sign: +1, -1 or 0 for a non-directional test)
HYPOTHESES = {
    "H1": ("models", MAIN_MODEL, "REL", 1),
    "H2": ("models", MAIN_MODEL, "FAC", 1),
    "H3": ("models", MAIN_MODEL, "PRO", 1),
    "H4": ("models", MAIN_MODEL, "ORG", 1),
    "H5": ("mediation", None, "indirect", 1),
    "H6": ("models", "network_dip", "lrt_spline_vs_linear", 0),
    "H7": ("survival", "cox_age", "conditions", -1),  # Amendment 1; discrete_hazard is the registered version
}
TESTS = {
    "H1": "conditions_mixed: REL, linear mixed model (region, partnership random intercepts), Wald z",
    "H2": "conditions_mixed: FAC, linear mixed model (region, partnership random intercepts), Wald z",
    "H3": "conditions_mixed: PRO, linear mixed model (region, partnership random intercepts), Wald z",
    "H4": "conditions_mixed: ORG, linear mixed model (region, partnership random intercepts), Wald z",
    "H5": "mediation: indirect effect FAC -> REL -> DUR, partnership-clustered bootstrap CI",
    "H6": "network_dip: likelihood-ratio test, spline vs linear partnership age (estimate = LR chi2)",
    "H7": "survival: Cox model on partnership age from the first survey (left-truncated), conditions (log hazard ratio)",
}


def benjamini_hochberg(p_values) -> pd.Series:
    """BH-adjusted p-values of the non-missing entries; missing stay missing (statsmodels #2899)."""
    p = pd.Series(p_values, dtype=float)
    out = pd.Series(np.nan, index=p.index, dtype=float)
    present = p.notna()
    if present.any():
        out[present] = multipletests(p[present].to_numpy(), method="fdr_bh")[1]
    return out


def _pick(table: pd.DataFrame, key_col, key, term_col, term) -> pd.Series | None:
    mask = table[term_col].astype(str) == term
    if key_col is not None:
        mask &= table[key_col].astype(str) == key
    hits = table[mask]
    if len(hits) > 1:
        raise ValueError(f"more than one row for {key}/{term}")
    return None if hits.empty else hits.iloc[0]


def collect(models: pd.DataFrame, mediation: pd.DataFrame, survival: pd.DataFrame) -> pd.DataFrame:
    """One row per hypothesis with the raw estimate, CI and p-value (missing where absent)."""
    sources = {
        "models": (models, "model", "term"),
        "mediation": (mediation, None, "effect"),
        "survival": (survival, "model", "term"),
    }
    rows = []
    for hyp, (source, key, term, _sign) in HYPOTHESES.items():
        table, key_col, term_col = sources[source]
        row = _pick(table, key_col, key, term_col, term)
        values = {
            c: (float(row[c]) if row is not None and c in row and pd.notna(row[c]) else np.nan)
            for c in ("estimate", "ci_low", "ci_high", "p_value")
        }
        rows.append({"hypothesis": hyp, "test": TESTS[hyp] + _missing_note(row, values), **values})
    return pd.DataFrame(rows)


def _missing_note(row, values) -> str:
    if row is None:
        return " (not available)"
    if np.isnan(values["p_value"]):
        note = row.get("note") if hasattr(row, "get") else None
        return f" (no p-value: {note})" if isinstance(note, str) and note else " (no p-value)"
    return ""


def supported(table: pd.DataFrame, alpha: float = 0.05) -> pd.Series:
    """yes where the effect has the hypothesised sign and the adjusted p is under alpha."""
    sign = table["hypothesis"].map({h: v[3] for h, v in HYPOTHESES.items()})
    direction = (sign == 0) | (np.sign(table["estimate"]) == sign)
    ok = direction & (table["p_adjusted"] < alpha)
    return ok.map({True: "yes", False: "no"})


def hypotheses_table(models, mediation, survival, alpha: float = 0.05) -> pd.DataFrame:
    table = collect(models, mediation, survival)
    table["p_adjusted"] = benjamini_hochberg(table["p_value"]).to_numpy()
    table["supported"] = supported(table, alpha)
    return table[HYPOTHESIS_COLUMNS]


def fill_model_p_adjusted(models: pd.DataFrame, hypotheses: pd.DataFrame) -> pd.DataFrame:
    """models.csv with p_adjusted set on the rows behind H1-H7 (and empty everywhere else)."""
    out = models.copy()
    out["p_adjusted"] = np.nan
    adjusted = hypotheses.set_index("hypothesis")["p_adjusted"]
    for hyp, (source, key, term, _sign) in HYPOTHESES.items():
        if source != "models" or hyp not in adjusted.index:
            continue
        mask = (out["model"] == key) & (out["term"] == term)
        out.loc[mask, "p_adjusted"] = adjusted[hyp]
    return out
