"""Kenward-Roger for the hybrid model (conditions_hybrid, `ddf: kenward_roger`) against lmerTest.

    PYTHONPATH=src python docs/validation/hybrid_kr_compare.py [--reference] [--clean responses.parquet]

R side: docs/validation/hybrid_lmertest.R, whose REML fit carries `summary(m, ddf =
"Kenward-Roger")` (pbkrtest::vcovAdj standard errors, Lb_ddf df). Data: the example's clean data
(results/clean/responses.parquet) with region fixed and random, and the stored simulated rows
tests/data/hybrid_sim_fixed.csv (4 regions) and hybrid_sim_random.csv (12 regions, region random).
Writes docs/validation/hybrid_kr_comparison.csv and prints the Markdown table for
docs/validation-models.md; `--reference` also stores R's numbers for the simulated rows in
tests/data/hybrid_kr_lmertest.json (checked without R by tests/test_models_kenward_roger.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
from hybrid_validate import COLUMNS, hybrid_spec

from borgingsmonitor.models import declared

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ROOT / "results/clean/responses.parquet"
REFERENCE = ROOT / "tests/data/hybrid_kr_lmertest.json"


def datasets(spec: dict, clean: Path) -> dict:
    """name -> (analysed rows, region fixed or random)."""
    out = {}
    if clean.exists():
        rows = declared.analysed_rows(spec, pd.read_parquet(clean, columns=COLUMNS))[COLUMNS]
        out["example_fixed"] = (rows, "fixed")
        out["example_random"] = (rows, "random")
    for name, region in (("sim_fixed", "fixed"), ("sim_random", "random")):
        rows = pd.read_csv(ROOT / f"tests/data/hybrid_{name}.csv", dtype={"region": str, "partnership_id": str})
        out[name] = (rows, region)
    return out


def ours(spec: dict, rows: pd.DataFrame, region: str) -> pd.DataFrame:
    kr = {**spec, "region_effect": region, "method": "REML", "ddf": "kenward_roger"}
    table = declared.fit_declared(kr, rows)
    sat = declared.fit_declared({**kr, "ddf": "satterthwaite"}, rows).set_index("term")
    fixed = table[table["std_error"].notna()].set_index("term")
    return fixed.assign(std_error_satterthwaite=sat["std_error"], df_satterthwaite=sat["df"])


def compare(name: str, py: pd.DataFrame, r: dict) -> pd.DataFrame:
    rows = []
    for what, col in (("bse", "std_error"), ("df", "df"), ("p_value", "p_value")):
        for term, value in r[what].items():
            rows.append((name, what, term, py.loc[term, col], value))
    for term, values in r.get("differences", {}).items():
        for what, col in (("bse", "std_error"), ("df", "df"), ("p_value", "p_value")):
            rows.append((name, what, term, py.loc[term, col], values[col]))
    out = pd.DataFrame(rows, columns=["data", "quantity", "term", "python", "r"])
    out["rel_diff"] = (out["python"] - out["r"]).abs() / out["r"].abs().clip(lower=1e-12)
    sat = py.loc[out["term"].unique(), ["std_error_satterthwaite", "df_satterthwaite"]]
    out["satterthwaite"] = [
        sat.loc[t, "std_error_satterthwaite" if q == "bse" else "df_satterthwaite"] if q != "p_value" else None
        for q, t in zip(out["quantity"], out["term"])
    ]
    return out


def main(reference: bool, clean: Path = CLEAN) -> pd.DataFrame:
    spec = hybrid_spec()
    data = datasets(spec, clean)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, (rows, region) in data.items():
            rows.to_csv(tmp / f"{name}.csv", index=False)
            (tmp / f"{name}.region").write_text(region + "\n")
        subprocess.run(["Rscript", str(ROOT / "docs/validation/hybrid_lmertest.R"), str(tmp)], check=True)
        results = {name: json.loads((tmp / f"{name}.json").read_text()) for name in data}
    parts = [compare(name, ours(spec, *data[name]), r["REML"]["kenward_roger"]) for name, r in results.items()]
    table = pd.concat(parts, ignore_index=True)
    table.to_csv(ROOT / "docs/validation/hybrid_kr_comparison.csv", index=False, float_format="%.10g")
    first = next(iter(results.values()))
    versions = {**first["versions"], "pbkrtest": first["REML"]["kenward_roger"]["pbkrtest"]}
    if reference:
        stored = {n: r["REML"]["kenward_roger"] for n, r in results.items() if n.startswith("sim")}
        REFERENCE.write_text(json.dumps({**stored, "versions": versions}, indent=1) + "\n")
    sizes = {k: (len(v), v["region"].nunique(), v["partnership_id"].nunique()) for k, (v, _) in data.items()}
    print(markdown(table, versions, sizes, clean))
    return table


def markdown(table: pd.DataFrame, versions: dict, sizes: dict, clean: Path) -> str:
    lines = []
    if clean.exists():
        lines.append(f"Example data: sha256 {hashlib.sha256(clean.read_bytes()).hexdigest()[:16]}...")
    lines += [
        f"R: {versions['R']}, lme4 {versions['lme4']}, lmerTest {versions['lmerTest']}, "
        f"pbkrtest {versions['pbkrtest']}.",
        "",
        "| data | rows, regions, partnerships | largest rel. difference: KR SE | KR df | p |",
        "| --- | --- | --- | --- | --- |",
    ]
    for data, g in table.groupby("data", sort=False):
        worst = g.groupby("quantity")["rel_diff"].max()
        lines.append(
            f"| {data} | {', '.join(map(str, sizes[data]))} | {worst['bse']:.1e} | {worst['df']:.1e} | "
            f"{worst['p_value']:.1e} |"
        )
    between = table[table["term"].str.endswith("_between") & (table["quantity"] != "p_value")]
    wide = between.pivot_table(index=["data", "term"], columns="quantity", values=["python", "r", "satterthwaite"])
    lines += [
        "",
        "Between effects (REML): Kenward-Roger SE and df, ours | lmerTest, and Satterthwaite's for comparison:",
        "",
        "| data | term | KR SE | Satterthwaite SE | KR df | Satterthwaite df |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for (data, term), row in wide.reindex(between[["data", "term"]].drop_duplicates()).iterrows():
        lines.append(
            f"| {data} | {term} | {row[('python', 'bse')]:.6g} \\| {row[('r', 'bse')]:.6g} | "
            f"{row[('satterthwaite', 'bse')]:.6g} | {row[('python', 'df')]:.6g} \\| {row[('r', 'df')]:.6g} | "
            f"{row[('satterthwaite', 'df')]:.6g} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", action="store_true", help="store R's numbers for the simulated rows")
    parser.add_argument("--clean", type=Path, default=CLEAN, help="the example's clean responses")
    args = parser.parse_args()
    main(args.reference, args.clean)
