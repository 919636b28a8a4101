"""The hypotheses declared in config (`hypotheses.declared`): one row each in results/tables/hypotheses.csv,
Benjamini-Hochberg adjusted within each declared family.

A hypothesis reads one row of a table: the term of a declared model (`model:`), or a row of an analysis
named in `ANALYSES` (`analysis:`). A new kind of estimate is one more entry there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

HYPOTHESIS_COLUMNS = ["hypothesis", "test", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "supported"]
# `supported`: the sign is right and p_adjusted < alpha; not_testable where the source gave no p-value
SUPPORTED_VALUES = ("yes", "no", "not_testable")
SIGNS = {"positive": 1, "negative": -1, "any": 0}
MODEL_TABLE = "results/interim/models/{}.csv"


@dataclass(frozen=True)
class Analysis:
    """Where an analysis writes the rows a hypothesis can read."""

    table: str
    term_column: str
    model: str | None  # the `model` value of the rows read, where the table holds several models
    in_models_table: bool  # its rows are gathered into models.csv, which then gets p_adjusted


ANALYSES = {
    "mediation": Analysis("results/tables/mediation.csv", "effect", None, False),
    "network_dip": Analysis(MODEL_TABLE.format("network_dip"), "term", "network_dip", True),
    "survival": Analysis("results/tables/survival.csv", "term", "cox_age", False),  # Amendment 1: age scale
    "network_dip_contrasts": Analysis("results/tables/network_dip_contrasts.csv", "contrast", None, False),
}


@dataclass(frozen=True)
class Requirement:
    """A row that must also have its sign and p < alpha before a hypothesis is `supported` (`requires:`)."""

    id: str  # the hypothesis', for messages
    source: str
    term_column: str
    model: str | None
    term: str
    sign: int


@dataclass(frozen=True)
class Hypothesis:
    id: str
    source: str  # the table file read
    term_column: str
    model: str | None
    term: str
    sign: int
    family: str
    test: str
    description: str
    in_models_table: bool
    estimate: str = "effect"  # or chi2: the estimate is the test statistic
    statement: dict | None = None  # language -> the hypothesis in words
    test_wording: dict | None = None  # language -> the test in words
    claim: dict | None = None  # language -> what the test alone supports, where the statement says more
    requires: tuple = ()  # Requirement rows that must also hold for `supported` (e.g. H6's dip and recovery)


def declared(entries, model_names=None) -> list[Hypothesis]:
    """The config's hypothesis entries as `Hypothesis` objects; a wrong reference stops with its id."""
    out = [_one(dict(entry), model_names) for entry in entries]
    ids = [h.id for h in out]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"config hypotheses.declared: the id {', '.join(twice)} is declared more than once")
    return out


def _one(entry: dict, model_names) -> Hypothesis:
    hid = entry["id"]
    common = dict(
        id=hid,
        term=entry["term"],
        sign=SIGNS[entry["expected_sign"]],
        family=entry["family"],
        test=entry["test"],
        description=entry["description"],
        estimate=entry.get("estimate", "effect"),
        statement=entry.get("statement"),
        test_wording=entry.get("test_wording"),
        claim=entry.get("claim"),
        requires=tuple(_requirement(hid, r) for r in entry.get("requires", [])),
    )
    if ("model" in entry) == ("analysis" in entry):
        raise ValueError(f"config hypotheses.declared {hid}: give either `model` or `analysis`")
    if "model" in entry:
        model = entry["model"]
        if model_names is not None and model not in model_names:
            raise ValueError(f"config hypotheses.declared {hid}: model {model!r} is not declared under models:")
        return Hypothesis(
            source=MODEL_TABLE.format(model), term_column="term", model=model, in_models_table=True, **common
        )
    analysis = ANALYSES.get(entry["analysis"])
    if analysis is None:
        raise ValueError(
            f"config hypotheses.declared {hid}: unknown analysis {entry['analysis']!r} "
            f"(known: {', '.join(sorted(ANALYSES))})"
        )
    return Hypothesis(
        source=analysis.table,
        term_column=analysis.term_column,
        model=analysis.model,
        in_models_table=analysis.in_models_table,
        **common,
    )


def _requirement(hid: str, entry: dict) -> Requirement:
    analysis = ANALYSES.get(entry["analysis"])
    if analysis is None:
        raise ValueError(
            f"config hypotheses.declared {hid}: requires an unknown analysis {entry['analysis']!r} "
            f"(known: {', '.join(sorted(ANALYSES))})"
        )
    return Requirement(
        id=hid,
        source=analysis.table,
        term_column=analysis.term_column,
        model=analysis.model,
        term=entry["term"],
        sign=SIGNS[entry["expected_sign"]],
    )


def source_tables(hypotheses: list[Hypothesis]) -> list[str]:
    """The files the hypotheses rule reads (the rows read and the rows required), each once, in declaration order."""
    return list(dict.fromkeys(s for h in hypotheses for s in (h.source, *(r.source for r in h.requires))))


def ids_reading(hypotheses: list[Hypothesis], *sources: str) -> list[str]:
    """The ids of the hypotheses that read one of these tables."""
    return [h.id for h in hypotheses if h.source in sources]


def id_suffix(ids) -> str:
    """' (H1–H4)' after a title, or nothing when no hypothesis is shown."""
    ids = list(ids)
    return f" ({id_range(ids)})" if ids else ""


def id_range(ids) -> str:
    """'H1–H7' for consecutive numbered ids, else the ids listed: the report's and captions' ranges."""
    ids = list(ids)
    parts = [re.fullmatch(r"(\D*)(\d+)", i) for i in ids]
    if len(ids) > 1 and all(parts) and len({p.group(1) for p in parts}) == 1:
        numbers = [int(p.group(2)) for p in parts]
        if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
            return f"{ids[0]}–{ids[-1]}"
    return ", ".join(ids)


def benjamini_hochberg(p_values) -> pd.Series:
    """BH-adjusted p-values of the non-missing entries; missing stay missing (statsmodels #2899)."""
    from statsmodels.stats.multitest import multipletests  # the workflow imports this module at parse time

    p = pd.Series(p_values, dtype=float)
    out = pd.Series(np.nan, index=p.index, dtype=float)
    present = p.notna()
    if present.any():
        out[present] = multipletests(p[present].to_numpy(), method="fdr_bh")[1]
    return out


def pick(table: pd.DataFrame, h: Hypothesis) -> pd.Series | None:
    """The one row of `table` behind `h`, or None."""
    if table is None or table.empty or h.term_column not in table:
        return None
    mask = table[h.term_column].astype(str) == h.term
    if h.model is not None and "model" in table:
        mask &= table["model"].astype(str) == h.model
    hits = table[mask]
    if len(hits) > 1:
        raise ValueError(f"{h.id}: more than one row for {h.model}/{h.term}")
    return None if hits.empty else hits.iloc[0]


def collect(hypotheses: list[Hypothesis], tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per hypothesis with the raw estimate, CI and p-value (missing where absent)."""
    rows = []
    for h in hypotheses:
        row = pick(tables.get(h.source), h)
        values = {
            c: (float(row[c]) if row is not None and c in row and pd.notna(row[c]) else np.nan)
            for c in ("estimate", "ci_low", "ci_high", "p_value")
        }
        rows.append({"hypothesis": h.id, "test": h.description + _missing_note(row, values), **values})
    return pd.DataFrame(rows, columns=HYPOTHESIS_COLUMNS[:6])


def _missing_note(row, values) -> str:
    if row is None:
        return " (not available)"
    if np.isnan(values["p_value"]):
        note = row.get("note") if hasattr(row, "get") else None
        return f" (no p-value: {note})" if isinstance(note, str) and note else " (no p-value)"
    return ""


def adjust_per_family(table: pd.DataFrame, hypotheses: list[Hypothesis]) -> pd.Series:
    families = pd.Series([h.family for h in hypotheses], index=table.index)
    out = pd.Series(np.nan, index=table.index, dtype=float)
    for family in dict.fromkeys(families):
        members = families == family
        out[members] = benjamini_hochberg(table.loc[members, "p_value"]).to_numpy()
    return out


def supported(table: pd.DataFrame, hypotheses: list[Hypothesis], alpha: float = 0.05) -> pd.Series:
    """yes where the effect has the hypothesised sign and the adjusted p is under alpha; not_testable
    where there is no p-value to judge."""
    sign = pd.Series([h.sign for h in hypotheses], index=table.index)
    direction = (sign == 0) | (np.sign(table["estimate"]) == sign)
    ok = direction & (table["p_adjusted"] < alpha)
    verdict = ok.map({True: "yes", False: "no"})
    return verdict.where(table["p_value"].notna(), "not_testable")


def requirements_met(hypotheses: list[Hypothesis], tables: dict[str, pd.DataFrame], alpha: float = 0.05) -> list[bool]:
    """Per hypothesis: every required row exists, has the expected sign and its own p < alpha (not adjusted:
    the requirements qualify the confirmatory test, they are not tests of the family)."""
    return [all(_holds(pick(tables.get(r.source), r), r.sign, alpha) for r in h.requires) for h in hypotheses]


def _holds(row, sign: int, alpha: float) -> bool:
    if row is None:
        return False
    est, p = (pd.to_numeric(row.get(c), errors="coerce") for c in ("estimate", "p_value"))
    return bool(pd.notna(est) and pd.notna(p) and p < alpha and (sign == 0 or np.sign(est) == sign))


def hypotheses_table(hypotheses: list[Hypothesis], tables: dict[str, pd.DataFrame], alpha: float = 0.05):
    table = collect(hypotheses, tables)
    table["p_adjusted"] = adjust_per_family(table, hypotheses).to_numpy()
    verdict = supported(table, hypotheses, alpha)
    met = pd.Series(requirements_met(hypotheses, tables, alpha), index=table.index)
    table["supported"] = verdict.where(met | (verdict != "yes"), "no")
    return table[HYPOTHESIS_COLUMNS]


def fill_model_p_adjusted(models: pd.DataFrame, hypotheses_csv: pd.DataFrame, hypotheses: list[Hypothesis]):
    """models.csv with p_adjusted set on the rows behind the hypotheses (and empty everywhere else)."""
    out = models.copy()
    out["p_adjusted"] = np.nan
    adjusted = hypotheses_csv.set_index("hypothesis")["p_adjusted"]
    for h in hypotheses:
        if not h.in_models_table or h.id not in adjusted.index:
            continue
        mask = (out["model"] == h.model) & (out["term"] == h.term)
        out.loc[mask, "p_adjusted"] = adjusted[h.id]
    return out
