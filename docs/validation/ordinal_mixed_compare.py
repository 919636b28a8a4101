"""borgingsmonitor's ordered_logit_mixed against R's ordinal::clmm.

Fits the simulated data of tests/data/ordinal_mixed_sim.csv and, given the clean data, the three
declared ordinal_mixed models of config/config.yaml on their analysed rows; runs
docs/validation/ordinal_mixed_clmm.R on the same rows (the example's rows only in a temporary
directory, never in the repository); writes tests/data/ordinal_mixed_clmm.json (R's numbers, for the
CI test) and docs/validation/ordinal_mixed_comparison.csv. Run from the repository root:

    .venv/bin/python docs/validation/ordinal_mixed_compare.py results/clean/responses.parquet
"""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.models import ordinal_mixed
from borgingsmonitor.models.declared import analysed_rows, check_spec, reverse_key

ROOT = Path(__file__).resolve().parents[2]
SIM = ROOT / "tests" / "data" / "ordinal_mixed_sim.csv"
REF = ROOT / "tests" / "data" / "ordinal_mixed_clmm.json"
OUT = ROOT / "docs" / "validation" / "ordinal_mixed_comparison.csv"


def our_name(r_name: str) -> str:
    """clmm's coefficient names as models.csv's: 1|2 -> cut_1|2, wave2024 -> C(wave)[T.2024]."""
    if re.fullmatch(r"[^|]+\|[^|]+", r_name):
        return f"cut_{r_name}"
    match = re.fullmatch(r"wave(\d+)", r_name)
    return f"C(wave)[T.{match.group(1)}]" if match else r_name


def example_rows(clean: Path) -> dict[str, pd.DataFrame]:
    """item -> the analysed rows of its declared ordinal_mixed model, as R reads them."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    questionnaire = load_questionnaire(ROOT / "config" / "questionnaire.yaml")
    data = reverse_key(pd.read_parquet(clean), questionnaire.reverse_items)
    out = {}
    for spec in config["models"]:
        if spec.get("estimator") == "ordered_logit_mixed":
            spec = check_spec(spec)
            item = spec["formula"].split("~")[0].strip()
            rows = analysed_rows(spec, data)
            cols = [item, "REL", "FAC", "PRO", "ORG", "wave", "partnership_id"]
            out[item] = rows[cols].rename(columns={item: "y"})
    return out


def ours(data: pd.DataFrame, formula: str, group: str, n_agq: int) -> dict:
    terms, fit = ordinal_mixed.fit_terms(formula, data, group, n_agq)  # its SD row is sd_partnership
    rows = terms.set_index("term")
    return {
        "estimate": rows["estimate"].to_dict(),
        "se": rows["std_error"].to_dict(),
        "converged": fit.converged,
    }


def compare(name: str, r_fit: dict, mine: dict) -> list[dict]:
    rows = []
    for r_name in r_fit["default"]["coef"]:
        term = our_name(r_name)
        rows.append(row(name, term, "estimate", mine["estimate"][term], r_fit, "coef", r_name))
        rows.append(row(name, term, "std_error", mine["se"][term], r_fit, "se", r_name))
    for term, key in (("sd_partnership", "sd"), ("loglik", "loglik")):
        rows.append(row(name, term, "estimate", mine["estimate"][term], r_fit, key, None))
    return rows


def row(name, term, what, value, r_fit, key, r_name) -> dict:
    pick = (lambda fit: fit[key][r_name]) if r_name else (lambda fit: fit[key])
    default, tight = pick(r_fit["default"]), pick(r_fit["tight"])
    return {
        "fit": name,
        "n_agq": r_fit["nagq"],
        "term": term,
        "quantity": what,
        "borgingsmonitor": value,
        "clmm_default": default,
        "clmm_tight": tight,
        "diff_default": value - default,
        "diff_tight": value - tight,
    }


def main(clean: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        examples = example_rows(clean) if clean else {}
        for item, rows in examples.items():
            rows.to_csv(Path(tmp) / f"example_{item}.csv", index=False)
        out = Path(tmp) / "clmm.json"
        args = ["Rscript", str(ROOT / "docs" / "validation" / "ordinal_mixed_clmm.R"), str(out), str(SIM)]
        subprocess.run(args + ([tmp] if examples else []), check=True)
        ref = json.loads(out.read_text())
    REF.write_text(json.dumps(ref, indent=1) + "\n")
    sim = pd.read_csv(SIM)
    results = []
    for name, r_fit in ref.items():
        if name == "versions":
            continue
        if name.startswith("sim_"):
            mine = ours(sim, "y ~ x1 + x2", "g", r_fit["nagq"])
        else:
            item = re.fullmatch(r"example_(.+)_(laplace|agq7)", name).group(1)
            mine = ours(examples[item], "y ~ REL + FAC + PRO + ORG + C(wave)", "partnership_id", r_fit["nagq"])
        results += compare(name, r_fit, mine)
    table = pd.DataFrame(results)
    table.to_csv(OUT, index=False, float_format="%.10g", lineterminator="\n")
    summary = table.assign(abs_default=table["diff_default"].abs(), abs_tight=table["diff_tight"].abs())
    print(summary.groupby(["fit", "quantity"])[["abs_default", "abs_tight"]].max().to_string())
    print("largest |diff| vs tight clmm:", float(np.max(summary["abs_tight"])))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
