"""Compare the measurement tables with the R reference values (measurement_validate.R).

Rscript docs/validation/measurement_validate.R
.venv/bin/python docs/validation/measurement_compare.py > docs/validation/measurement_comparison.md
"""

from pathlib import Path

import pandas as pd

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.scales import score_scales
from borgingsmonitor.measure.cfa import five_factor_cfa
from borgingsmonitor.measure.icc import icc_table
from borgingsmonitor.measure.reliability import reliability_table

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "docs" / "validation"


def markdown(df: pd.DataFrame, digits: int = 4) -> str:
    cells = df.map(lambda v: f"{v:.{digits}f}" if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.to_numpy().tolist()]
    return "\n".join(lines)


q = load_questionnaire(ROOT / "config" / "questionnaire.yaml")
data = pd.read_csv(ROOT / "tests" / "data" / "measurement_sample.csv")
for code in q.item_codes:
    data[code] = data[code].astype("Int64")
data = score_scales(data, q)

ours = reliability_table(data, q, min_group_size=5)
r = pd.read_csv(HERE / "measurement_r_reliability.csv", dtype={"wave": str})
rel = ours.merge(r, on=["scale", "wave"], suffixes=("", "_r"))
assert len(rel) == len(ours)
cols = ["alpha", "alpha_ci_low", "alpha_ci_high"]
rel_view = pd.DataFrame(
    {
        "scale": rel["scale"],
        "wave": rel["wave"],
        "n": rel["n"],
        "n (R)": rel["n_r"],
        "alpha": rel["alpha"].astype(float),
        "psych alpha": rel["alpha_r"],
        "CI low": rel["alpha_ci_low"].astype(float),
        "psych CI low": rel["alpha_ci_low_r"],
        "CI high": rel["alpha_ci_high"].astype(float),
        "psych CI high": rel["alpha_ci_high_r"],
        "omega": rel["omega"].astype(float),
        "lavaan omega": rel["omega_lavaan"],
        "psych omega.tot (ml, covar)": rel["omega_psych_ml_covar"],
    }
)
print("## Reliability\n")
print(markdown(rel_view))
diffs = {c: (rel[c].astype(float) - rel[f"{c}_r"]).abs().max() for c in cols}
diffs["omega vs lavaan"] = (rel["omega"].astype(float) - rel["omega_lavaan"]).abs().max()
diffs["omega vs psych"] = (rel["omega"].astype(float) - rel["omega_psych_ml_covar"]).abs().max()
print("\nLargest absolute differences: " + ", ".join(f"{k} {v:.2e}" for k, v in diffs.items()))

fit, loadings = five_factor_cfa(data, q)
# measurement_validate.R fits the listwise model; the FIML row is checked by cfa_fiml_validate.R
fit = fit[fit["missing"] == "listwise"]
loadings = loadings[loadings["model"] == fit["model"].iloc[0]]
r_fit = pd.read_csv(HERE / "measurement_r_cfa_fit.csv")
names = {"chisq": "chi2", "pvalue": "p_value", "rmsea.ci.lower": "rmsea_ci_low", "rmsea.ci.upper": "rmsea_ci_high"}
r_fit = r_fit.rename(columns=names)
fit_cols = ["n", "chi2", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr"]
fit_view = pd.DataFrame(
    {
        "index": fit_cols,
        "ours": [float(fit[c].iloc[0]) for c in fit_cols],
        "lavaan fitMeasures": [float(r_fit[c].iloc[0]) for c in fit_cols],
    }
)
fit_view["difference"] = fit_view["ours"] - fit_view["lavaan fitMeasures"]
print("\n## CFA fit (five factors, ML, listwise)\n")
print(markdown(fit_view, 6))
r_load = pd.read_csv(HERE / "measurement_r_cfa_loadings.csv")
lo = loadings.merge(r_load, on=["factor", "item"], suffixes=("", "_r"))
assert len(lo) == 20
print(
    "\nLoadings: largest absolute difference unstandardised "
    f"{(lo['estimate'] - lo['estimate_r']).abs().max():.2e}, standardised "
    f"{(lo['std_loading'] - lo['std_loading_r']).abs().max():.2e}"
)

icc, _ = icc_table(data, q)
r_icc = pd.read_csv(HERE / "measurement_r_icc.csv")
wide = icc.pivot(index="scale", columns="level", values="variance")
view = pd.DataFrame(
    {
        "scale": r_icc["scale"],
        "region var": r_icc["scale"].map(wide["region"]),
        "lme4 region var": r_icc["var_region"],
        "partnership var": r_icc["scale"].map(wide["partnership"]),
        "lme4 partnership var": r_icc["var_partnership"],
        "residual var": r_icc["scale"].map(wide["residual"]),
        "lme4 residual var": r_icc["var_residual"],
    }
)
icc_wide = icc.pivot(index="scale", columns="level", values="icc")
view["ICC partnership"] = r_icc["scale"].map(icc_wide["partnership"])
view["lme4 ICC partnership"] = r_icc["icc_partnership"]
view["ICC region"] = r_icc["scale"].map(icc_wide["region"])
view["lme4 ICC region"] = r_icc["icc_region"]
print("\n## ICC (null model, REML): statsmodels MixedLM vs lme4::lmer\n")
print(markdown(view, 5))
