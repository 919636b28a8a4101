"""Seeded, contract-shaped fixture tables for the report tests (no personal data)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from borgingsmonitor.core.questionnaire import SCALES, load_questionnaire
from borgingsmonitor.report.figures import group_means

ROOT = Path(__file__).resolve().parents[1]
QUESTIONNAIRE = ROOT / "config" / "questionnaire.yaml"
REGIONS = {"helmond": "Helmond", "den-bosch": "Den Bosch", "noord-west-veluwe": "Noord-West Veluwe",
           "west-brabant": "West-Brabant"}
WAVES = (2023, 2024, 2025)
ROLES = ["Docent", "Teamleider", "Directie/bestuur", "Verbinder/coördinator"]
ORG_TYPES = ["vmbo", "mbo", "bedrijfsleven"]
PHASES = ["Verkenning", "Opstart", "Uitvoering", "Netwerkdip", "Borging"]
SMALL_PARTNERSHIP = "HEL-03"  # only 3 respondents in its latest wave: no sheet
TINY_ROLE_REGION = "west-brabant"


def build_registry(rng) -> pd.DataFrame:
    rows = []
    for region, name in REGIONS.items():
        prefix = region[:3].upper()
        for k in range(1, 5):
            start = int(rng.integers(2017, 2023))
            stopped = start + 4 if k == 2 else None
            rows.append({"partnership_id": f" {prefix}-0{k}" if k == 3 else f"{prefix}-0{k}",
                         "region": name + (" " if k == 1 else ""), "name": f"Route {prefix} {k}",
                         "sector": "Techniek", "vmbo_school": "School A", "mbo_institution": "College B",
                         "start_year": start, "funding_end_year": start + 4, "stopped_year": stopped})
    return pd.DataFrame(rows)


def build_responses(rng, registry: pd.DataFrame, questionnaire) -> pd.DataFrame:
    reg = registry.assign(partnership_id=registry["partnership_id"].str.strip())
    rows = []
    for pid, start in zip(reg["partnership_id"], reg["start_year"]):
        region = next(r for r in REGIONS if r[:3].upper() == pid[:3])
        effect = rng.normal(0, 0.5)
        for wave in WAVES:
            n = 3 if (pid == SMALL_PARTNERSHIP and wave == 2025) else int(rng.integers(4, 14))
            if pid == SMALL_PARTNERSHIP and wave < 2025:
                n = 9
            for i in range(n):
                latent = effect + rng.normal(0, 0.8)
                row = {"respondent_key": f"k{pid}{wave}{i:02d}", "region": region, "partnership_id": pid,
                       "wave": wave, "source_file": f"{region}/{wave}.csv", "source_row": i,
                       "role": ROLES[int(rng.integers(0, 4))] if region != TINY_ROLE_REGION else ROLES[i % 2],
                       "org_type": ORG_TYPES[int(rng.integers(0, 3))], "phase": PHASES[int(rng.integers(0, 5))],
                       "years_involved": float(rng.integers(0, 10)), "fac_hours": float(rng.integers(0, 8)),
                       "partnership_age": wave - int(start), "comment": "Persoonlijke opmerking GEHEIM"}
                for item in questionnaire.items:
                    value = int(np.clip(np.round(3.4 + latent * (-1 if item.reverse else 1) + rng.normal(0, 0.7)), 1, 5))
                    row[item.code] = pd.NA if rng.random() < 0.05 else value
                rows.append(row)
    df = pd.DataFrame(rows)
    for item in questionnaire.items:
        df[item.code] = df[item.code].astype("Int64")
    for scale, codes in questionnaire.scales.items():
        items = df[codes].astype("Float64")
        for code in codes:
            if code in questionnaire.reverse_items:
                items[code] = 6 - items[code]
        enough = items.notna().sum(axis=1) >= np.ceil(2 * len(codes) / 3)
        df[scale] = items.mean(axis=1, skipna=True).astype(float).where(enough)
    df["partnership_age"] = df["partnership_age"].astype("Int64")
    df["respondent_key"] = "key_" + df.index.astype(str)
    return df


def build_tables(rng, responses: pd.DataFrame, min_group_size: int = 5) -> dict[str, pd.DataFrame]:
    rel = []
    for scale in SCALES:
        for wave in [*(str(w) for w in WAVES), "all"]:
            a = 0.62 if scale == "PRO" and wave == "2023" else float(rng.uniform(0.72, 0.9))
            rel.append({"scale": scale, "wave": wave, "n": int(rng.integers(150, 400)), "n_items": 4, "alpha": a,
                        "alpha_ci_low": a - 0.04, "alpha_ci_high": a + 0.03, "omega": a + 0.01})
    cfa = pd.DataFrame([{"model": "five_factor", "n": 900, "chi2": 301.2, "df": 160, "p_value": 1e-9, "cfi": 0.962,
                         "tli": 0.955, "rmsea": 0.041, "srmr": 0.045}])
    desc = []
    for group_type, by in [("all", []), ("region", ["region"]), ("wave", ["wave"]), ("role", ["role"]),
                           ("org_type", ["org_type"]), ("partnership", ["partnership_id"])]:
        frame = responses.assign(_all="all") if not by else responses
        g = group_means(frame, by or ["_all"], min_group_size)
        g["group_type"] = group_type
        g["group"] = g[(by or ["_all"])[0]].astype(str)
        desc.append(g[["scale", "group_type", "group", "n", "mean", "sd", "suppressed"]])
    models = []
    for model, scale in (("conditions_mixed", 1.0), ("conditions_mixed_std", 0.8)):
        for term, est in [("Intercept", 0.9), ("REL", 0.31), ("FAC", 0.12), ("PRO", 0.2), ("ORG", 0.02), ("wave", 0.01)]:
            if model.endswith("std") and term == "Intercept":
                continue
            e = est * scale
            models.append({"model": model, "term": term, "estimate": e, "std_error": 0.05, "ci_low": e - 0.1,
                           "ci_high": e + 0.1, "p_value": 0.0004 if e > 0.1 else 0.4, "p_adjusted": 0.001 if e > 0.1 else 0.5,
                           "n_obs": len(responses), "n_groups": 16, "method": "REML mixed model"})
    models.append({"model": "conditions_mixed", "term": "icc_partnership", "estimate": 0.12, "std_error": None,
                   "ci_low": None, "ci_high": None, "p_value": None, "p_adjusted": None, "n_obs": len(responses),
                   "n_groups": 16, "method": "REML mixed model"})
    for term in ("REL", "FAC", "PRO", "ORG"):
        models.append({"model": "ordinal_clustered", "term": term, "estimate": 0.5, "std_error": 0.1, "ci_low": 0.3,
                       "ci_high": 0.7, "p_value": 0.01, "p_adjusted": None, "n_obs": len(responses), "n_groups": 16,
                       "method": "cumulative logit, clustered SE"})
    models.append({"model": "network_dip", "term": "lr_test", "estimate": 7.9, "std_error": None, "ci_low": None,
                   "ci_high": None, "p_value": 0.019, "p_adjusted": 0.03, "n_obs": len(responses), "n_groups": 16,
                   "method": "likelihood-ratio test, natural spline df=3"})
    mediation = pd.DataFrame([
        {"effect": "a", "estimate": 0.45, "ci_low": 0.35, "ci_high": 0.55, "p_value": 0.0001, "n_boot": 2000},
        {"effect": "b", "estimate": 0.30, "ci_low": 0.2, "ci_high": 0.4, "p_value": 0.0001, "n_boot": 2000},
        {"effect": "direct", "estimate": 0.08, "ci_low": -0.02, "ci_high": 0.18, "p_value": 0.12, "n_boot": 2000},
        {"effect": "indirect", "estimate": 0.135, "ci_low": 0.08, "ci_high": 0.2, "p_value": 0.001, "n_boot": 2000},
        {"effect": "total", "estimate": 0.215, "ci_low": 0.12, "ci_high": 0.31, "p_value": 0.0002, "n_boot": 2000}])
    ages = np.arange(0, 9)
    curve = 3.6 - 0.35 * np.sin(ages / 2.5) + 0.03 * ages
    dip = pd.DataFrame({"partnership_age": ages, "estimate": curve, "ci_low": curve - 0.2, "ci_high": curve + 0.2})
    surv = []
    for group, decay in (("no", 0.03), ("yes", 0.12)):
        s = 1.0
        for t in range(0, 9):
            surv.append({"model": "kaplan_meier", "term": f"funding_ended={group};t={t}", "estimate": s,
                         "ci_low": max(s - 0.15, 0), "ci_high": min(s + 0.1, 1), "p_value": None,
                         "n_partnerships": 9 if group == "no" else 7, "n_events": 0})
            s *= 1 - decay
    for term, est in (("REL", 0.6), ("funding_ended", 2.4)):
        surv.append({"model": "discrete_time_hazard", "term": term, "estimate": est, "ci_low": est * 0.6,
                     "ci_high": est * 1.5, "p_value": 0.04, "n_partnerships": 16, "n_events": 3})
    hyp = pd.DataFrame([
        {"hypothesis": f"H{k}", "test": test, "estimate": est, "ci_low": est - 0.1, "ci_high": est + 0.1,
         "p_value": p, "p_adjusted": min(p * 2, 1), "supported": p * 2 < 0.05}
        for k, test, est, p in [(1, "mixed model REL", 0.25, 0.0004), (2, "mixed model FAC", 0.1, 0.01),
                                (3, "mixed model PRO", 0.16, 0.001), (4, "mixed model ORG", 0.02, 0.4),
                                (5, "indirect effect", 0.135, 0.001), (6, "LR test spline", 7.9, 0.019),
                                (7, "hazard REL", 0.6, 0.04)]])
    attrition = []
    for region in REGIONS:
        for wave in WAVES:
            analysed = int(((responses["region"] == region) & (responses["wave"] == wave)).sum())
            reasons = {r: int(rng.integers(0, 5)) for r in ("no_consent", "incomplete", "duplicate", "test",
                                                            "speeder", "unknown_partnership")}
            attrition.append({"region": region, "wave": wave, "raw_rows": analysed + sum(reasons.values()),
                              **reasons, "analysed": analysed})
    return {"tables/reliability.csv": pd.DataFrame(rel), "tables/cfa_fit.csv": cfa,
            "tables/descriptives.csv": pd.concat(desc, ignore_index=True), "tables/models.csv": pd.DataFrame(models),
            "tables/mediation.csv": mediation, "tables/network_dip.csv": dip, "tables/survival.csv": pd.DataFrame(surv),
            "tables/hypotheses.csv": hyp, "qc/attrition.csv": pd.DataFrame(attrition)}


def write_raw_exports(root: Path) -> list[dict]:
    """Tiny raw exports of each type; the CSV has a field with an embedded newline."""
    raw = root / "data"
    raw.mkdir(parents=True, exist_ok=True)
    lime = raw / "lime.csv"
    with lime.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "route", "comment"])
        w.writerow([1, "HEL-01", "line one\nline two"])
        w.writerow([2, "HEL-02", "plain"])
        w.writerow([3, "HEL-02", ""])
    qualtrics = raw / "qualtrics.csv"
    qualtrics.write_text("StartDate,Q1\nStart Date,Question 1\n{\"ImportId\":\"x\"},{\"ImportId\":\"q1\"}\n"
                         "2024-01-01,a\n2024-01-02,b\n", encoding="cp1252")
    xlsx = raw / "forms.xlsx"
    pd.DataFrame({"ID": [1, 2, 3, 4], "Route": ["A", "B", "C", "D"]}).to_excel(xlsx, index=False)
    return [{"path": str(lime), "format": "limesurvey"},
            {"path": str(qualtrics), "format": "qualtrics", "header_rows": 3, "encoding": "cp1252"},
            {"path": str(xlsx), "format": "forms"}]


def build_fixture(root: Path, seed: int = 20250101, min_group_size: int = 5) -> dict:
    rng = np.random.default_rng(seed)
    questionnaire = load_questionnaire(QUESTIONNAIRE)
    registry = build_registry(rng)
    responses = build_responses(rng, registry, questionnaire)
    results = root / "results"
    (results / "clean").mkdir(parents=True, exist_ok=True)
    responses.to_parquet(results / "clean" / "responses.parquet", index=False)
    paths = {"responses": results / "clean" / "responses.parquet"}
    for rel, table in build_tables(rng, responses, min_group_size).items():
        path = results / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False)
        paths[Path(rel).stem] = path
    reg_path = root / "data" / "registry" / "partnerships.csv"
    reg_path.parent.mkdir(parents=True, exist_ok=True)
    registry.to_csv(reg_path, index=False)
    paths["registry"] = reg_path
    paths["questionnaire"] = QUESTIONNAIRE
    paths["sources"] = write_raw_exports(root)
    return paths


REPORT_SMK = ROOT / "workflow" / "rules" / "report.smk"
COMMON_SMK = ROOT / "workflow" / "rules" / "common.smk"  # the report rules' helpers (REPORT_TABLES, ...)
REPORT_TARGETS = ["results/report/report.html", "results/report/report.docx", "results/report/partnerships",
                  "results/provenance.json"]


def write_workflow(root: Path, paths: dict, language: str = "nl", min_group_size: int = 5) -> dict:
    """A tiny Snakefile that includes only report.smk, with a config of the real shape."""
    import yaml

    data = root / "data"
    config = {
        "input_dir": str(data),
        "registry": "registry/partnerships.csv",
        "questionnaire": str(QUESTIONNAIRE),
        "min_group_size": min_group_size,
        "report": {"language": language, "title": None, "year": None},
        "analysis": {"seed": 20250101, "mediation": {"n_boot": 2000, "seed": 7}},
        "regions": {
            "helmond": {"sources": [{"tool": "limesurvey", "files": [{"path": "lime.csv", "wave": 2024}]}]},
            "den-bosch": {"sources": [{"tool": "qualtrics", "encoding": "cp1252",
                                       "files": [{"path": "qualtrics.csv", "wave": 2024}]}]},
            "noord-west-veluwe": {"sources": [{"tool": "msforms", "files": [{"path": "forms.xlsx", "wave": 2024}]}]},
        },
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=True), encoding="utf-8")
    (root / "Snakefile").write_text(f'configfile: "config.yaml"\n\n\ninclude: "{COMMON_SMK}"\ninclude: "{REPORT_SMK}"\n',
                                    encoding="utf-8")
    return config
