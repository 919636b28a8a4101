"""Compare the example run's measurement tables with R (psych, lavaan, lme4) on the same clean data.

.venv/bin/python docs/validation/example_measurement_compare.py export /tmp/rval   # items as CSV, no keys
Rscript docs/validation/measurement_validate.R /tmp/rval/clean_items.csv /tmp/rval
.venv/bin/python docs/validation/example_measurement_compare.py compare /tmp/rval
"""

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
    fit = pd.read_csv(TABLES / "cfa_fit.csv")
    rfit = pd.read_csv(rdir / "measurement_r_cfa_fit.csv")
    rows = []
    for ours_col, r_col in [
        ("n", "n"),
        ("chi2", "chisq"),
        ("df", "df"),
        ("cfi", "cfi"),
        ("tli", "tli"),
        ("rmsea", "rmsea"),
        ("rmsea_ci_low", "rmsea.ci.lower"),
        ("rmsea_ci_high", "rmsea.ci.upper"),
        ("srmr", "srmr"),
    ]:
        a, b = float(fit[ours_col].iloc[0]), float(rfit[r_col].iloc[0])
        rows.append({"index": ours_col, "ours": a, "lavaan": b, "abs_diff": abs(a - b)})
    print("\n### Five-factor CFA: ours vs lavaan fitMeasures\n")
    print(markdown(pd.DataFrame(rows)))
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


if __name__ == "__main__":
    {"export": export, "compare": compare}[sys.argv[1]](Path(sys.argv[2]))
