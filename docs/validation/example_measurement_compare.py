"""Compare the example run's measurement tables with R (psych, lavaan, lme4) on the same clean data.

.venv/bin/python docs/validation/example_measurement_compare.py export /tmp/rval   # items as CSV, no keys
Rscript docs/validation/measurement_validate.R /tmp/rval/clean_items.csv /tmp/rval
Rscript docs/validation/cfa_fiml_validate.R /tmp/rval/clean_items.csv /tmp/rval/cfa_fiml_lavaan.json
.venv/bin/python docs/validation/example_measurement_compare.py compare /tmp/rval

The CFA table's rows are compared with their lavaan counterparts: `five_factor` (FIML, Amendment 1)
with cfa_fiml_validate.R's `fiml`, `five_factor_listwise` with measurement_validate.R's listwise fit
(and with cfa_fiml_validate.R's `listwise`, the same model).
"""

import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
TABLES = ROOT / "results" / "tables"


def export(out: Path) -> None:
    from borgingsmonitor.core.questionnaire import load_questionnaire

    q = load_questionnaire(ROOT / "config" / "questionnaire.yaml")
    clean = pd.read_parquet(ROOT / "results" / "clean" / "responses.parquet")
    out.mkdir(parents=True, exist_ok=True)
    clean[["region", "partnership_id", "wave", *q.item_codes]].to_csv(out / "clean_items.csv", index=False)


def markdown(df: pd.DataFrame) -> str:
    cells = df.map(lambda v: f"{v:.4f}" if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells.to_numpy().tolist()])


def compare(rdir: Path) -> None:
    ours = pd.read_csv(TABLES / "reliability.csv", dtype={"wave": str})
    theirs = pd.read_csv(rdir / "measurement_r_reliability.csv", dtype={"wave": str})
    rel = ours.merge(theirs, on=["scale", "wave"], suffixes=("", "_r"))
    rel = rel.assign(
        alpha_psych=rel["alpha_r"],
        omega_lavaan=rel["omega_lavaan"],
        max_abs_diff=pd.concat(
            [
                (rel["alpha"] - rel["alpha_r"]).abs(),
                (rel["alpha_ci_low"] - rel["alpha_ci_low_r"]).abs(),
                (rel["alpha_ci_high"] - rel["alpha_ci_high_r"]).abs(),
                (rel["omega"] - rel["omega_lavaan"]).abs(),
            ],
            axis=1,
        ).max(axis=1),
    )
    print("### Reliability: ours vs psych::alpha / alpha.ci (Feldt) and lavaan one-factor omega\n")
    print(
        markdown(
            rel[
                [
                    "scale",
                    "wave",
                    "n",
                    "n_r",
                    "alpha",
                    "alpha_psych",
                    "omega",
                    "omega_lavaan",
                    "omega_psych_ml_covar",
                    "max_abs_diff",
                ]
            ]
        )
    )
    cfa(rdir)
    icc = pd.read_csv(TABLES / "icc.csv")
    ricc = pd.read_csv(rdir / "measurement_r_icc.csv")
    rows = []
    for _, r in ricc.iterrows():
        for level in ("region", "partnership"):
            mine = icc[(icc["scale"] == r["scale"]) & (icc["level"] == level)]["icc"].iloc[0]
            rows.append(
                {
                    "scale": r["scale"],
                    "level": level,
                    "ours": mine,
                    "lme4": r[f"icc_{level}"],
                    "abs_diff": abs(mine - r[f"icc_{level}"]),
                }
            )
    print("\n### ICC(1) from null models: ours vs lme4 (REML)\n")
    print(markdown(pd.DataFrame(rows)))


FIT_INDICES = [
    ("n", "n", "ntotal"),
    ("chi2", "chisq", "chisq"),
    ("df", "df", "df"),
    ("p_value", None, "pvalue"),
    ("cfi", "cfi", "cfi"),
    ("tli", "tli", "tli"),
    ("rmsea", "rmsea", "rmsea"),
    ("rmsea_ci_low", "rmsea.ci.lower", "rmsea.ci.lower"),
    ("rmsea_ci_high", "rmsea.ci.upper", "rmsea.ci.upper"),
    ("srmr", "srmr", "srmr"),
]


def cfa(rdir: Path) -> None:
    """Each row of cfa_fit.csv next to lavaan, and the largest loading differences."""
    fit = pd.read_csv(TABLES / "cfa_fit.csv").set_index("missing")
    rfit = pd.read_csv(rdir / "measurement_r_cfa_fit.csv").iloc[0]
    fiml_json = rdir / "cfa_fiml_lavaan.json"
    fiml = json.loads(fiml_json.read_text()) if fiml_json.exists() else None
    rows = []
    for ours_col, r_col, fiml_col in FIT_INDICES:
        row = {"index": ours_col}
        if fiml:
            row.update(fiml_ours=fit.loc["fiml", ours_col], fiml_lavaan=fiml["fiml"]["fit"][fiml_col])
        row.update(listwise_ours=fit.loc["listwise", ours_col])
        row["listwise_lavaan"] = rfit[r_col] if r_col else fiml["listwise"]["fit"][fiml_col] if fiml else float("nan")
        rows.append(row)
    table = pd.DataFrame(rows)
    print("\n### Five-factor CFA: ours vs lavaan fitMeasures (FIML and listwise)\n")
    print(markdown(table))
    diffs = {"listwise": (table["listwise_ours"] - table["listwise_lavaan"]).abs().max()}
    if fiml:
        diffs["fiml"] = (table["fiml_ours"] - table["fiml_lavaan"]).abs().max()
        loadings = pd.read_csv(TABLES / "cfa_loadings.csv")
        for key, model in (("fiml", "five_factor"), ("listwise", "five_factor_listwise")):
            ours = loadings[loadings["model"] == model].set_index("item")
            theirs = pd.DataFrame(fiml[key]["loadings"]).set_index("item")
            diffs[f"{key} loadings"] = (ours["estimate"] - theirs["estimate"]).abs().max()
            diffs[f"{key} std loadings"] = (ours["std_loading"] - theirs["std_loading"]).abs().max()
    print("\nlargest abs diff: " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))


if __name__ == "__main__":
    {"export": export, "compare": compare}[sys.argv[1]](Path(sys.argv[2]))
