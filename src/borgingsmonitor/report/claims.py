"""The claims the report may make, each from a named statistic and its threshold (protocol Amendment 1).

A conclusion sentence of the report ("supported", "does not depend on the model", "dips and recovers",
"above all after the funding ended", an indirect effect "shown", the condition "most strongly related")
picks its wording from `holds` of one
row of this table; results/tables/claims.csv is the same table for the reader.
"""

from __future__ import annotations

import math

import pandas as pd

from borgingsmonitor.core.contracts import NOT_CONVERGED
from borgingsmonitor.mechanisms.network_dip import dips_and_recovers
from borgingsmonitor.mechanisms.survival import funding_claim
from borgingsmonitor.models.hypotheses import ANALYSES, Hypothesis, ids_reading
from borgingsmonitor.models.table import difference_term

CLAIM_COLUMNS = ["claim", "hypothesis", "statement", "statistic", "threshold", "value", "holds"]
# the hybrid model's split of a condition (models/declared.py): <term>_between and <term>_within
BETWEEN, WITHIN = "_between", "_within"
# models that are not a sensitivity analysis of a condition hypothesis although they carry its term
NOT_SENSITIVITY = ("network_dip",)
ALL_MODELS = "models"
STRONGEST = f"{ALL_MODELS}:strongest_between"


def claims_table(hypotheses: list[Hypothesis], tables: dict[str, pd.DataFrame], alpha: float = 0.05) -> pd.DataFrame:
    """Every claim the report can make, with the statistic behind it and whether it holds."""
    rows = [
        *supported_claims(tables.get("hypotheses")),
        *model_claims(hypotheses, tables.get("models"), alpha),
        *strongest_claims(hypotheses, tables.get("models")),
        *dip_claims(hypotheses, tables.get("network_dip_contrasts")),
        *funding_claims(hypotheses, tables.get("survival"), alpha),
        *mediation_claims(hypotheses, tables.get("mediation")),
    ]
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def holds(claims: pd.DataFrame, claim: str) -> bool:
    """Whether the claim holds; a claim the table does not have does not."""
    hit = claims.loc[claims["claim"] == claim, "holds"] if claims is not None and len(claims) else []
    return bool(len(hit)) and bool(hit.iloc[0])


def claim_row(claim, hypothesis, statement, statistic, threshold, value, ok) -> dict:
    return {
        "claim": claim,
        "hypothesis": hypothesis or "",
        "statement": statement,
        "statistic": statistic,
        "threshold": threshold,
        "value": value,
        "holds": bool(ok),
    }


# --- supported ----------------------------------------------------------------------------------------


def supported_claims(table: pd.DataFrame | None) -> list[dict]:
    """'<id>:supported' from hypotheses.csv: its verdict already applies the sign, BH and alpha."""
    if table is None or table.empty:
        return []
    return [
        claim_row(
            f"{r.hypothesis}:supported",
            r.hypothesis,
            "supported",
            "hypotheses.csv supported (expected sign and p_adjusted < alpha)",
            "supported == yes",
            str(r.supported),
            str(r.supported).strip().lower() == "yes",
        )
        for r in table.itertuples(index=False)
    ]


# --- the same conclusion across models ------------------------------------------------------------------


def model_hypotheses(hypotheses: list[Hypothesis]) -> list[Hypothesis]:
    """The hypotheses that read a term of a declared model (not a row of an analysis)."""
    analyses = {a.table for a in ANALYSES.values()}
    return [h for h in hypotheses if h.in_models_table and h.source not in analyses]


def condition_hypotheses(hypotheses: list[Hypothesis]) -> list[Hypothesis]:
    """The hypotheses on terms of the first declared model they read (H1-H4 on the hybrid's between terms)."""
    hs = model_hypotheses(hypotheses)
    return [h for h in hs if h.model == hs[0].model] if hs else []


def pooled_term(term: str) -> str:
    """REL_between -> REL: the term of the same condition in a model without the split."""
    return term[: -len(BETWEEN)] if term.endswith(BETWEEN) else term


def sensitivity_terms(models: pd.DataFrame, h: Hypothesis) -> list[tuple[str, str]]:
    """(model, term) of every other model that estimates the hypothesis' condition, registered pooled
    models and split models alike, in models.csv order."""
    if models is None or models.empty:
        return []
    names = list(dict.fromkeys(models["model"].astype(str)))
    out = []
    for name in names:
        if name == h.model or name in NOT_SENSITIVITY:
            continue
        terms = set(models.loc[models["model"] == name, "term"].astype(str))
        term = h.term if h.term in terms else pooled_term(h.term)
        if term in terms:
            out.append((name, term))
    return out


def conclusion(row, alpha: float) -> int | None:
    """+1 / -1: the estimate's sign where p < alpha; 0: not significant; None: no estimate or p, or a
    fit that did not converge (it says nothing, so it never makes a conclusion look model-dependent)."""
    p, est = pd.to_numeric(row.get("p_value"), errors="coerce"), pd.to_numeric(row.get("estimate"), errors="coerce")
    if pd.isna(p) or pd.isna(est) or NOT_CONVERGED in str(row.get("method", "")):
        return None
    return 0 if p >= alpha else int(math.copysign(1, est))


CONCLUSION_WORDS = {1: "positive", -1: "negative", 0: "not significant", None: "not estimated"}


def conclusions(models: pd.DataFrame, h: Hypothesis, alpha: float) -> dict[str, int]:
    """model -> conclusion on the hypothesis' condition: its own model first, then the sensitivity models."""
    own = models[(models["model"] == h.model) & (models["term"].astype(str) == h.term)]
    if own.empty:
        return {}
    out = {h.model: conclusion(own.iloc[0], alpha)}
    for name, term in sensitivity_terms(models, h):
        row = models[(models["model"] == name) & (models["term"].astype(str) == term)].iloc[0]
        out[name] = conclusion(row, alpha)
    return out


def model_claims(hypotheses: list[Hypothesis], models: pd.DataFrame | None, alpha: float) -> list[dict]:
    """'<id>:same_across_models' per condition hypothesis and 'models:same_across_models' for all:
    the sign and the significance (unadjusted p < alpha) agree in every model."""
    if models is None or models.empty:
        return []
    rows, all_same = [], []
    for h in model_hypotheses(hypotheses):
        seen = conclusions(models, h, alpha)
        found = [c for c in seen.values() if c is not None]
        if len(found) < 2:
            continue
        same = len(set(found)) == 1
        all_same.append(same)
        value = "; ".join(f"{m}: {CONCLUSION_WORDS[c]}" for m, c in seen.items())
        rows.append(
            claim_row(
                f"{h.id}:same_across_models",
                h.id,
                "does not depend on the model",
                f"sign and p of {h.model} {h.term} and of the same condition in every sensitivity model",
                f"one conclusion (sign where p < {alpha}, else not significant) in all that were estimated",
                value,
                same,
            )
        )
    if all_same:
        rows.append(
            claim_row(
                f"{ALL_MODELS}:same_across_models",
                "",
                "does not depend on the model",
                "the claims <id>:same_across_models",
                "all hold",
                f"{sum(all_same)} of {len(all_same)} hold",
                all(all_same),
            )
        )
    return rows


def differing(claims: pd.DataFrame) -> list[str]:
    """The hypotheses whose conclusion depends on the model."""
    rows = claims[claims["claim"].str.endswith(":same_across_models") & (claims["hypothesis"] != "")]
    return rows.loc[~rows["holds"].astype(bool), "hypothesis"].tolist()


# --- the strongest condition ----------------------------------------------------------------------------


def ranked_between(hypotheses: list[Hypothesis], models: pd.DataFrame | None) -> pd.DataFrame:
    """The between terms the condition hypotheses read (H1-H4 in the hybrid model), largest estimate
    first; rows without an estimate or interval are left out."""
    terms = [h.term for h in condition_hypotheses(hypotheses) if h.term.endswith(BETWEEN)]
    if models is None or models.empty or not terms:
        return pd.DataFrame(columns=["term", "estimate", "ci_low", "ci_high"])
    rows = models[
        (models["model"] == condition_hypotheses(hypotheses)[0].model) & models["term"].astype(str).isin(terms)
    ]
    numbers = rows[["estimate", "ci_low", "ci_high"]].apply(pd.to_numeric, errors="coerce")
    rows = rows[["term"]].join(numbers).dropna(subset=["estimate", "ci_low", "ci_high"])
    return rows.sort_values("estimate", ascending=False, kind="stable").reset_index(drop=True)


def difference(models: pd.DataFrame, model: str, a: str, b: str) -> dict | None:
    """a - b with its 95% CI from the model's difference rows (models/declared.py), whichever way
    round the row is; None when the model has no such row."""
    rows = models[models["model"] == model].drop_duplicates("term").set_index("term")
    for term, sign in ((difference_term(a, b), 1.0), (difference_term(b, a), -1.0)):
        if term in rows.index:
            r = rows.loc[term, ["estimate", "ci_low", "ci_high"]].astype(float)
            low, high = sorted((sign * r["ci_low"], sign * r["ci_high"]))
            return {"estimate": sign * r["estimate"], "ci_low": low, "ci_high": high}
    return None


def strongest_claims(hypotheses: list[Hypothesis], models: pd.DataFrame | None) -> list[dict]:
    """'models:strongest_between': one condition's between-partnership association is the strongest:
    shown itself (CI above 0) and larger than every other condition's (each difference's CI above
    0). All must hold, an intersection-union test: no correction for the several differences."""
    ranked = ranked_between(hypotheses, models)
    if len(ranked) < 2:
        return []
    model, top = condition_hypotheses(hypotheses)[0].model, ranked.iloc[0]
    diffs = {term: difference(models, model, top["term"], term) for term in ranked["term"].iloc[1:]}
    if any(d is None for d in diffs.values()):
        return []
    value = [f"{top['term']} {top['estimate']:.4g} [{top['ci_low']:.4g}; {top['ci_high']:.4g}]"]
    value += [f"minus {term} {d['estimate']:.4g} [{d['ci_low']:.4g}; {d['ci_high']:.4g}]" for term, d in diffs.items()]
    return [
        claim_row(
            STRONGEST,
            "",
            "the strongest between-partnership association of the conditions",
            f"{model}: the largest between term of the condition hypotheses (per scale point) and its "
            "difference from each other one, 95% CI (t on the model's df: Satterthwaite or Kenward-Roger)",
            "ci_low > 0 for the largest and for each difference",
            "; ".join(value),
            top["ci_low"] > 0 and all(d["ci_low"] > 0 for d in diffs.values()),
        )
    ]


# --- network dip -----------------------------------------------------------------------------------------


def first_reader(hypotheses: list[Hypothesis], analysis: str) -> str:
    ids = ids_reading(hypotheses, ANALYSES[analysis].table)
    return ids[0] if ids else ""


def dip_claims(hypotheses: list[Hypothesis], contrasts: pd.DataFrame | None) -> list[dict]:
    """'network_dip:dip' (dip CI below 0), ':recovery' (recovery CI above 0) and ':dips_and_recovers' (both)."""
    if contrasts is None or contrasts.empty or not {"dip", "recovery"} <= set(contrasts["contrast"].astype(str)):
        return []
    hid = first_reader(hypotheses, "network_dip")
    rows = contrasts.set_index("contrast")
    d, r = rows.loc["dip"], rows.loc["recovery"]
    dip_value = f"dip {d['estimate']:.4g} [{d['ci_low']:.4g}; {d['ci_high']:.4g}]"
    rec_value = f"recovery {r['estimate']:.4g} [{r['ci_low']:.4g}; {r['ci_high']:.4g}]"
    source = "network_dip_contrasts"
    return [
        claim_row(
            "network_dip:dip",
            hid,
            "dips",
            f"{source} dip (lowest age - start), 95% CI",
            "ci_high < 0",
            dip_value,
            float(d["ci_high"]) < 0,
        ),
        claim_row(
            "network_dip:recovery",
            hid,
            "recovers",
            f"{source} recovery (latest age - lowest), 95% CI",
            "ci_low > 0",
            rec_value,
            float(r["ci_low"]) > 0,
        ),
        claim_row(
            "network_dip:dips_and_recovers",
            hid,
            "dips and recovers",
            f"{source} dip and recovery, 95% CI",
            "dip ci_high < 0 and recovery ci_low > 0",
            f"{dip_value}; {rec_value}",
            dips_and_recovers(contrasts),
        ),
    ]


# --- after the funding ended -----------------------------------------------------------------------------


def funding_claims(hypotheses: list[Hypothesis], survival: pd.DataFrame | None, alpha: float) -> list[dict]:
    """'survival:after_funding' from mechanisms/survival.py's funding_claim (the interaction, or not claimed)."""
    if survival is None or survival.empty:
        return []
    c = funding_claim(survival, alpha)
    value = (
        c["status"]
        if c["status"] == "not_fitted"
        else f"{c['status']}: estimate {c['estimate']:.4g}, p {c['p_value']:.4g}"
    )
    return [
        claim_row(
            "survival:after_funding",
            first_reader(hypotheses, "survival"),
            "above all after the funding ended",
            c["statistic"],
            c["threshold"],
            value,
            c["status"] == "supported",
        )
    ]


def funding_status(claims: pd.DataFrame) -> str:
    """not_fitted / supported / not_supported, the claim's status as its sentence needs it."""
    row = claims[claims["claim"] == "survival:after_funding"]
    if row.empty or str(row["value"].iloc[0]) == "not_fitted":
        return "not_fitted"
    return "supported" if bool(row["holds"].iloc[0]) else "not_supported"


# --- mediation -------------------------------------------------------------------------------------------


def mediation_claims(hypotheses: list[Hypothesis], mediation: pd.DataFrame | None) -> list[dict]:
    """'mediation:indirect_<level>' shown when its interval lies above 0, for each multilevel level present."""
    if mediation is None or mediation.empty or "effect" not in mediation:
        return []
    hid, rows = first_reader(hypotheses, "mediation"), []
    effects = mediation.drop_duplicates("effect").set_index("effect")
    for level in ("between", "within"):
        if f"indirect_{level}" not in effects.index:
            continue
        r = effects.loc[f"indirect_{level}"]
        rows.append(
            claim_row(
                f"mediation:indirect_{level}",
                hid,
                "shown (facilitation works through relations)",
                f"mediation indirect_{level}, 95% interval",
                "ci_low > 0",
                f"{r['estimate']:.4g} [{r['ci_low']:.4g}; {r['ci_high']:.4g}]",
                float(r["ci_low"]) > 0,
            )
        )
    return rows
