"""Compare the main mixed model (both estimators) and the ordinal model with R (lme4, MASS::polr).

Run from the repository root:  .venv/bin/python docs/validation/models_validate.py
Writes docs/validation/models_comparison.csv and docs/validation-models.md. Uses the real clean data
(results/clean/responses.parquet) when it exists, and two simulated data sets in any case: a
typical one and one whose true between-group variances are zero (the boundary case).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.models import simulate_clean  # noqa: E402

from borgingsmonitor.core.questionnaire import load_questionnaire  # noqa: E402
from borgingsmonitor.models import mixed, ordinal  # noqa: E402
from borgingsmonitor.models.declared import reverse_key  # noqa: E402

FORMULA = "DUR ~ REL + FAC + PRO + ORG + C(wave)"
ORDINAL = "dur_continue ~ REL + FAC + PRO + ORG + C(wave)"
COLUMNS = ["DUR", "REL", "FAC", "PRO", "ORG", "wave", "region", "partnership_id", "dur_continue"]
TOL = 1e-3
VARIANCE_TERMS = ["var_region", "var_partnership", "var_residual", "loglik"]


def datasets() -> dict[str, pd.DataFrame]:
    out = {}
    real = ROOT / "results/clean/responses.parquet"
    if real.exists():
        q = load_questionnaire(ROOT / "config/questionnaire.yaml")
        digest = hashlib.sha256(real.read_bytes()).hexdigest()[:16]
        out[f"real (results/clean/responses.parquet, sha256 {digest}...)"] = reverse_key(
            pd.read_parquet(real), q.reverse_items
        )
    out["simulated (seed 12, 2,700 rows)"] = simulate_clean(
        seed=12, n_regions=6, partnerships_per_region=10, respondents=15
    )
    out["simulated boundary (seed 4, zero true group variances)"] = simulate_clean(
        seed=4,
        n_regions=4,
        partnerships_per_region=5,
        respondents=8,
        sigma2={"region": 0.0, "partnership": 0.0, "residual": 0.25},
    )
    return out


def python_rows(name: str, rows: pd.DataFrame) -> list[dict]:
    out = []
    std_rows = mixed.standardise(rows, ["DUR", "REL", "FAC", "PRO", "ORG"])
    for model, data in (("conditions_mixed", rows), ("conditions_mixed_std", std_rows)):
        for fitter in (mixed.fit_statsmodels_mixed, mixed.fit_nested_reml):
            fit = fitter(FORMULA, data)
            for term in fit.params.index:
                out.append(
                    dict(
                        dataset=name,
                        model=model,
                        estimator=fitter.__name__,
                        term=term,
                        estimate=fit.params[term],
                        std_error=fit.bse[term],
                        method=fit.method,
                    )
                )
            extra = {
                "var_region": fit.sigma2["region"],
                "var_partnership": fit.sigma2["partnership"],
                "var_residual": fit.sigma2["residual"],
                "loglik": fit.loglik,
            }
            for term, value in extra.items():
                out.append(
                    dict(
                        dataset=name,
                        model=model,
                        estimator=fitter.__name__,
                        term=term,
                        estimate=value,
                        std_error=np.nan,
                        method=fit.method,
                    )
                )
    raw = unguarded_lbfgs(rows)
    for term, value in raw.items():
        out.append(
            dict(
                dataset=name,
                model="conditions_mixed",
                estimator="statsmodels_lbfgs_unguarded",
                term=term,
                estimate=value,
                std_error=np.nan,
                method="REML; plain MixedLM fit(method=['lbfgs'])",
            )
        )
    ord_rows = rows.dropna(subset=["dur_continue"])
    fit = ordinal.fit_ordinal(ORDINAL, ord_rows, cluster="partnership_id")
    for _, r in fit.terms.iterrows():
        out.append(
            dict(
                dataset=name,
                model="ordinal_dur_continue",
                estimator="fit_ordinal",
                term=r.term,
                estimate=r.estimate,
                std_error=r.std_error,
                method=fit.method,
            )
        )
    return out


def unguarded_lbfgs(rows: pd.DataFrame) -> dict:
    """What statsmodels gives without the guards: one lbfgs fit, whatever it reports."""
    import warnings

    import statsmodels.formula.api as smf

    data = rows.assign(_p=rows["region"].astype(str) + "/" + rows["partnership_id"].astype(str))
    model = smf.mixedlm(FORMULA, data, groups=data["region"], re_formula="1", vc_formula={"p": "0 + C(_p)"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(reml=True, method=["lbfgs"])
    out = {t: float(res.fe_params[t]) for t in res.fe_params.index}
    out.update(
        var_region=float(res.cov_re.iloc[0, 0]),
        var_partnership=float(res.vcomp[0]),
        var_residual=float(res.scale),
        loglik=float(res.llf),
        converged=float(res.converged),
    )
    return out


def r_rows(name: str, rows: pd.DataFrame) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "rows.csv", Path(tmp) / "r.csv"
        rows.to_csv(src, index=False)
        run = subprocess.run(
            ["Rscript", str(ROOT / "docs/validation/models_lme4.R"), str(src), str(dst)],
            capture_output=True,
            text=True,
            check=True,
        )
        out = pd.read_csv(dst)
    out["dataset"] = name
    return out, run.stderr.strip().splitlines()[-1]


def compare() -> tuple[pd.DataFrame, str, dict]:
    py, r, notes, versions = [], [], {}, ""
    for name, data in datasets().items():
        rows = _rows(data)
        py += python_rows(name, rows)
        rr, versions = r_rows(name, rows)
        r.append(rr)
        notes[name] = (len(rows), rows["region"].nunique(), rows["partnership_id"].nunique())
    py = pd.DataFrame(py)
    r = pd.concat(r, ignore_index=True).rename(columns={"estimate": "estimate_r", "std_error": "std_error_r"})
    singular = r[r.term == "singular"].set_index(["dataset", "model"])["estimate_r"]
    table = py.merge(r[r.term != "singular"], on=["dataset", "model", "term"], how="left")
    table["diff"] = table["estimate"] - table["estimate_r"]
    table["diff_se"] = table["std_error"] - table["std_error_r"]
    table["lme4_singular"] = [bool(singular.get((d, m), 0)) for d, m in zip(table.dataset, table.model)]
    return table, versions, notes


def _rows(data: pd.DataFrame) -> pd.DataFrame:
    """The main model's analysed rows, with dur_continue carried along (may be missing)."""
    base = mixed.plain_dtypes(data[COLUMNS])
    return base.dropna(subset=[c for c in COLUMNS if c != "dur_continue"]).reset_index(drop=True)


def markdown(table: pd.DataFrame, versions: str, notes: dict) -> str:
    lines = [
        "# Validation of the declared models against R",
        "",
        "Generated by `docs/validation/models_validate.py` (R side: `docs/validation/models_lme4.R`);",
        "every number below is in `docs/validation/models_comparison.csv`.",
        f"R: {versions}.",
        "",
        "The main model `conditions_mixed` is `DUR ~ REL + FAC + PRO + ORG + C(wave)` with random",
        "intercepts for region and for partnership within region, REML. It is fitted here by both",
        "Python estimators (`nested_reml` = `borgingsmonitor.models.nested_lmm`, the default; and the guarded",
        "statsmodels MixedLM path) and by `lme4::lmer(DUR ~ ... + (1|region) + (1|region:partnership),",
        "REML = TRUE)` on the same rows; `conditions_mixed_std` on z-scores of DUR and the four",
        "conditions over those rows. The ordinal model `ordinal_dur_continue` (statsmodels",
        "OrderedModel, cumulative logit, partnership-clustered SE) is compared with `MASS::polr` and",
        '`sandwich::vcovCL(type = "HC1")`, the same small-sample corrections as statsmodels.',
        "Tolerance: absolute difference 1e-3 for every estimate, standard error, variance component",
        "and REML log-likelihood.",
        "",
    ]
    for name, (n, regions, parts) in notes.items():
        sub = table[table.dataset == name]
        lines += [f"## {name}", "", f"{n} rows, {regions} regions, {parts} partnerships.", ""]
        for model in ["conditions_mixed", "conditions_mixed_std", "ordinal_dur_continue"]:
            m = sub[sub.model == model]
            if m.empty:
                continue
            singular = " (lme4: singular fit)" if m["lme4_singular"].any() else ""
            lines += [f"### {model}{singular}", ""]
            lines += _model_table(m)
            methods = m.drop_duplicates("estimator")[["estimator", "method"]]
            for _, row in methods.iterrows():
                lines.append(f"- `{row.estimator}` method: {row.method}")
            lines.append("")
    worst = table.assign(a=table["diff"].abs(), b=table["diff_se"].abs())
    worst = worst[worst.estimator != "statsmodels_lbfgs_unguarded"]
    lines += ["## Summary", ""]
    for est, g in worst.groupby("estimator"):
        lines.append(
            f"- `{est}`: largest |difference| in an estimate {g['a'].max():.2e}, in a standard error "
            f"{g['b'].max():.2e}; all within 1e-3: {'yes' if (g[['a', 'b']].max().max() < TOL) else 'no'}."
        )
    lines += ["", *EXPLANATION, ""]
    lines += simulation_section()
    return "\n".join(lines)


EXPLANATION = [
    "Notes.",
    "- REML log-likelihoods are on the same scale in lme4, statsmodels and nested_lmm (same constants),",
    "  so the `loglik` rows compare directly.",
    "- Fixed-effect standard errors: lme4, nested_lmm and the statsmodels path all use (X'V^-1X)^-1 at",
    "  the REML variances (statsmodels' own inverse-Hessian standard errors differ by up to ~1% with",
    "  four regions, e.g. 1.6e-3 on the intercept of the real data, so the statsmodels path recomputes",
    "  them); the remaining differences come from optimiser tolerance in the variance components.",
    "- `statsmodels_lbfgs_unguarded` (estimates only, not part of the summary) is a single MixedLM",
    "  lbfgs fit without the guards, as statsmodels returns it (`converged` row: 1 = reported",
    "  converged). It is shown to document why the guards exist: it can stop near, not on, a",
    "  boundary, or at a lower REML log-likelihood than the optimum, sometimes reporting convergence.",
    "- Boundary data: lme4 reports a singular fit (a variance exactly 0). The guarded statsmodels path",
    "  reaches the same solution through its boundary faces (see its method text).",
]


def _model_table(m: pd.DataFrame) -> list[str]:
    cell = m.set_index(["term", "estimator"])
    r = m.drop_duplicates("term").set_index("term")[["estimate_r", "std_error_r"]]
    terms = list(dict.fromkeys(m["term"]))
    estimators = list(dict.fromkeys(m["estimator"]))
    with_se = [e for e in estimators if m.loc[m.estimator == e, "std_error"].notna().any()]

    def get(t, e, col):
        return cell.loc[(t, e), col] if (t, e) in cell.index else np.nan

    head = (
        "| term | "
        + " | ".join(f"{e} est." for e in estimators)
        + " | R est. | "
        + " | ".join(f"{e} SE" for e in with_se)
        + " | R SE | max abs diff (guarded) |"
    )
    lines = [head, "|" + " --- |" * (4 + len(estimators) + len(with_se))]
    for t in terms:
        est = [get(t, e, "estimate") for e in estimators]
        se = [get(t, e, "std_error") for e in with_se]
        checked = [e != "statsmodels_lbfgs_unguarded" for e in estimators]
        diffs = [abs(x - r.loc[t, "estimate_r"]) for x, c in zip(est, checked) if c]
        diffs += [abs(x - r.loc[t, "std_error_r"]) for x in se]
        diffs = [d for d in diffs if np.isfinite(d)]
        lines.append(
            f"| {t} | "
            + " | ".join(_f(x) for x in est)
            + f" | {_f(r.loc[t, 'estimate_r'])} | "
            + " | ".join(_f(x) for x in se)
            + f" | {_f(r.loc[t, 'std_error_r'])} | "
            + (f"{max(diffs):.1e} |" if diffs else " |")
        )
    lines.append("")
    return lines


def simulation_section(reps: int = 100) -> list[str]:
    """Known-truth checks: CI coverage of the main model, and MI versus complete cases under MAR."""
    from fixtures.models import TRUE_BETA, TRUE_WAVE

    from borgingsmonitor.models.declared import fit_declared

    truth = {
        "Intercept": 3.0 - sum(TRUE_BETA.values()) * 3.2,
        **TRUE_BETA,
        "C(wave)[T.2024]": TRUE_WAVE[2024],
        "C(wave)[T.2025]": TRUE_WAVE[2025],
    }
    hits, bias = [], []
    for seed in range(reps):
        data = simulate_clean(seed=1000 + seed, n_regions=6, partnerships_per_region=8, respondents=6)
        fit = mixed.fit_nested_reml(FORMULA, mixed.complete_rows(FORMULA, data, ["region", "partnership_id"]))
        hits.append({k: abs(fit.params[k] - v) <= 1.959964 * fit.bse[k] for k, v in truth.items()})
        bias.append({k: fit.params[k] - v for k, v in truth.items()})
    cover, mean_bias = pd.DataFrame(hits).mean(), pd.DataFrame(bias).mean()
    lines = [
        "## Simulation checks (known truth)",
        "",
        f"Main model (nested_reml) on {reps} simulated data sets (6 regions x 8 partnerships x 3 waves x 6",
        "respondents, true variances region .04, partnership .06, residual .25; simulator in",
        "`tests/fixtures/models.py`): share of 95% Wald intervals that cover the true value, and mean error.",
        "",
        "| term | truth | coverage | mean error |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {k} | {v:.3f} | {cover[k]:.2f} | {mean_bias[k]:+.4f} |" for k, v in truth.items()]
    spec = {
        "name": "conditions_mixed",
        "formula": FORMULA,
        "family": "gaussian",
        "grouping": ["region", "partnership_id"],
        "estimator": "nested_reml",
    }
    mar = simulate_clean(seed=31, n_regions=6, partnerships_per_region=8, respondents=10, missing_rate=0.2)
    cc = fit_declared(spec, mar).set_index("term")
    mi = fit_declared(
        {**spec, "name": "conditions_mixed_mi", "imputation": {"m": 20, "seed": 20250, "auxiliary": ["fac_hours"]}}, mar
    ).set_index("term")
    lines += [
        "",
        "Missing data: one simulated data set (1,440 rows) with each condition missing at random with a",
        "probability that rises as the observed DUR falls (about 20% per condition). Complete cases",
        f"({int(cc['n_obs'].iloc[0])} rows) versus multiple imputation (m = 20, {int(mi['n_obs'].iloc[0])} rows):",
        "",
        "| term | truth | complete cases [95% CI] | multiple imputation [95% CI] |",
        "| --- | --- | --- | --- |",
    ]
    for k, v in TRUE_BETA.items():
        lines.append(
            f"| {k} | {v:.3f} | {cc.loc[k, 'estimate']:.3f} [{cc.loc[k, 'ci_low']:.3f}, "
            f"{cc.loc[k, 'ci_high']:.3f}] | {mi.loc[k, 'estimate']:.3f} [{mi.loc[k, 'ci_low']:.3f}, "
            f"{mi.loc[k, 'ci_high']:.3f}] |"
        )
    lines.append("")
    return lines


def _f(x) -> str:
    return "" if not np.isfinite(x) else f"{x:.6f}" if abs(x) < 1e4 else f"{x:.2f}"


if __name__ == "__main__":
    table, versions, notes = compare()
    table.to_csv(ROOT / "docs/validation/models_comparison.csv", index=False, float_format="%.10g")
    (ROOT / "docs/validation-models.md").write_text(markdown(table, versions, notes), encoding="utf-8")
    print(table.groupby("estimator")[["diff", "diff_se"]].agg(lambda s: s.abs().max()))
