"""Validate the hybrid model (conditions_hybrid, protocol Amendment 1) against lme4 + lmerTest.

    PYTHONPATH=src python docs/validation/hybrid_validate.py [--reference]

Data sets: the example's clean data (results/clean/responses.parquet, when the workflow has made
it) with region fixed (4 regions: what `auto` chooses) and, to test that path on real data too,
random; the same data with the respondent-intercept sensitivity model conditions_hybrid_respondent
(`example_respondent`: respondent within partnership instead of partnership-within-wave, region
fixed; the respondent keys are replaced by integer codes before anything is fitted or written);
and the in-project simulator with a partnership-within-wave variance, once with 4 regions (fixed)
and once with 12 (random). For each, REML and ML. R decomposes the conditions itself.
Writes docs/validation/hybrid_comparison.csv and prints the Markdown table for
docs/validation-models.md; `--reference` also stores the simulated data and R's numbers under
tests/data/ for tests/test_models_hybrid_lmertest.py (which needs no R).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from borgingsmonitor.models import declared
from borgingsmonitor.synthetic.simulate import simulate_clean

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["DUR", "REL", "FAC", "PRO", "ORG", "wave", "region", "partnership_id"]
SIGMA2 = {"region": 0.03, "partnership": 0.06, "partnership_wave": 0.02, "residual": 0.20}


RESPONDENT = "respondent_key"  # the inner grouping of conditions_hybrid_respondent (codes only here)


def hybrid_spec(name: str = "conditions_hybrid") -> dict:
    models = yaml.safe_load((ROOT / "config/config.yaml").read_text())["models"]
    return declared.check_spec(next(m for m in models if m["name"] == name))


def datasets() -> dict:
    """name -> (rows, region effect, model name, inner level below the partnership)."""
    out = {}
    clean = ROOT / "results/clean/responses.parquet"
    if clean.exists():
        example = pd.read_parquet(clean, columns=[*COLUMNS, RESPONDENT])
        codes = pd.factorize(example[RESPONDENT])[0].astype(float)  # -1: no key
        example[RESPONDENT] = pd.Series(codes, index=example.index).where(codes >= 0)
        out["example_fixed"] = (example[COLUMNS], "fixed", "conditions_hybrid", "wave")
        out["example_random"] = (example[COLUMNS], "random", "conditions_hybrid", "wave")
        out["example_respondent"] = (example, "fixed", "conditions_hybrid_respondent", RESPONDENT)
    for name, regions, partnerships, n, seed in [("sim_fixed", 4, 30, 1500, 11), ("sim_random", 12, 48, 2000, 12)]:
        frame, _ = simulate_clean(n, n_regions=regions, n_partnerships=partnerships, seed=seed, sigma2=SIGMA2)
        out[name] = (frame[COLUMNS], "fixed" if regions < 10 else "random", "conditions_hybrid", "wave")
    return out


def ours(spec: dict, rows: pd.DataFrame, region: str, method: str) -> dict:
    table = declared.fit_declared({**spec, "region_effect": region, "method": method}, rows)
    fixed = table[table["std_error"].notna()].set_index("term")
    extra = table[table["std_error"].isna()].set_index("term")["estimate"]
    return {
        "params": fixed["estimate"].to_dict(),
        "bse": fixed["std_error"].to_dict(),
        "df": fixed["df"].to_dict(),
        "p_value": fixed["p_value"].to_dict(),
        "sigma2": {k[4:]: v for k, v in extra.items() if k.startswith("var_")},
        "loglik": float(extra["loglik"]),
        "method": table["method"].iloc[0],
    }


def compare(name: str, method: str, py: dict, r: dict) -> pd.DataFrame:
    rows = []
    for what in ("params", "bse", "df", "p_value"):
        for term, value in r[what].items():
            rows.append((name, method, what, term, py[what][term], value))
    for term, d in r.get("differences", {}).items():  # difference:<a>_between-<b>_between, contestMD
        for what, key in (("params", "estimate"), ("bse", "std_error"), ("df", "df"), ("p_value", "p_value")):
            rows.append((name, method, what, term, py[what][term], d[key]))
    for comp, value in r["sigma2"].items():
        rows.append((name, method, "sigma2", comp, py["sigma2"][comp], value))
    rows.append((name, method, "loglik", "", py["loglik"], r["loglik"]))
    out = pd.DataFrame(rows, columns=["data", "method", "quantity", "term", "python", "r"])
    out["abs_diff"] = (out["python"] - out["r"]).abs()
    out["rel_diff"] = out["abs_diff"] / out["r"].abs().clip(lower=1e-12)
    return out


def main(reference: bool) -> pd.DataFrame:
    data = datasets()
    parts = []
    crossed = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        analysed = {}
        for name, (frame, region, model, inner) in data.items():
            columns = COLUMNS if inner == "wave" else [*COLUMNS, inner]
            rows = declared.analysed_rows(hybrid_spec(model), frame)[columns]
            analysed[name] = rows
            rows.to_csv(tmp / f"{name}.csv", index=False)
            (tmp / f"{name}.region").write_text(region + "\n")
            (tmp / f"{name}.inner").write_text(inner + "\n")
        subprocess.run(["Rscript", str(ROOT / "docs/validation/hybrid_lmertest.R"), str(tmp)], check=True)
        for name, (_frame, region, model, _inner) in data.items():
            r = json.loads((tmp / f"{name}.json").read_text())
            if "crossed" in r:
                crossed[name] = r["crossed"]
            for method in ("REML", "ML"):
                fit = ours(hybrid_spec(model), analysed[name], region, method)
                parts.append(compare(name, method, fit, r[method]))
            if reference and name.startswith("sim"):
                shutil.copy(tmp / f"{name}.csv", ROOT / f"tests/data/hybrid_{name}.csv")
                r["region"] = region
                (ROOT / f"tests/data/hybrid_{name}_lmertest.json").write_text(json.dumps(r, indent=1))
        versions = r["versions"]
    table = pd.concat(parts, ignore_index=True)
    table.to_csv(ROOT / "docs/validation/hybrid_comparison.csv", index=False, float_format="%.10g")
    sizes = {k: (len(v), v["region"].nunique(), v["partnership_id"].nunique()) for k, v in analysed.items()}
    print(markdown(table, versions, sizes))
    for name, c in crossed.items():
        print(f"\n{name}, for reference: lme4 with both levels crossed (REML, {c['n_obs']} rows):")
        print(
            "  "
            + ", ".join(f"{t} {c['params'][t]:.4f} (SE {c['bse'][t]:.4f}, df {c['df'][t]:.2f})" for t in c["params"])
        )
        print("  variances " + ", ".join(f"{k} {v:.5f}" for k, v in c["sigma2"].items()))
        print("  ranova LR p " + ", ".join(f"{k}: {v:.2g}" for k, v in c["ranova_p"].items()))
        print(f"  REML loglik {c['loglik']:.5f}")
    return table


def markdown(table: pd.DataFrame, versions: dict, sizes: dict) -> str:
    lines = [f"R: {versions['R']}, lme4 {versions['lme4']}, lmerTest {versions['lmerTest']}.", ""]
    lines += [
        "| data | rows, regions, partnerships | method | largest abs. difference: estimates | SEs | variances "
        "| Satterthwaite df (rel.) | p | loglik |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (data, method), g in table.groupby(["data", "method"], sort=False):
        q = g.groupby("quantity")

        def cell(x, col="abs_diff", q=q):
            return f"{q.get_group(x)[col].max():.1e}"

        lines.append(
            f"| {data} | {', '.join(map(str, sizes[data]))} | {method} | {cell('params')} | {cell('bse')} | "
            f"{cell('sigma2')} | {cell('df', 'rel_diff')} | {cell('p_value')} | {cell('loglik')} |"
        )
    reml = table["method"] == "REML"
    focus = table[reml & table["term"].str.endswith("_between") & table["data"].str.startswith("example")]
    if len(focus):
        wide = focus.pivot_table(index=["data", "term"], columns="quantity", values=["python", "r"], sort=False)
        lines += [
            "",
            "Between effects on the example's clean data (REML; Python | R):",
            "",
            "| data | term | estimate | SE | df | p |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for (data, term), row in wide.iterrows():
            lines.append(
                f"| {data} | {term} | "
                + " | ".join(
                    f"{row[('python', q)]:.6g} \\| {row[('r', q)]:.6g}" for q in ("params", "bse", "df", "p_value")
                )
                + " |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", action="store_true", help="store the simulated reference under tests/data/")
    main(parser.parse_args().reference)
