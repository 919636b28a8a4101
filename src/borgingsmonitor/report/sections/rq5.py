"""RQ5: the network dip in the partnerships' first years."""

from __future__ import annotations

import re

import pandas as pd

from borgingsmonitor.report import claims as C
from borgingsmonitor.report.document import Builder, ReportInputs
from borgingsmonitor.report.figures import few_partnership_ages, titled
from borgingsmonitor.report.translate import Translator, is_missing


def lr_df(method) -> str:
    match = re.search(r"df\s*=\s*(\d+)", str(method))
    return match.group(1) if match else "?"


def section_rq5(b: Builder, inputs: ReportInputs):
    t, models = b.t, inputs.tables["models"]
    b.heading("sections.rq5", anchor="rq5")
    b.para(t("text.rq5_intro"))
    dip = models[models["model"] == "network_dip"].set_index("term")
    if "lrt_spline_vs_linear" in dip.index:
        r, boot = dip.loc["lrt_spline_vs_linear"], dip["p_value"].get("lrt_spline_vs_linear_bootstrap")
        text = t(
            "text.network_dip_test",
            df=lr_df(r["method"]),
            chi2=t.num(r["estimate"]),
            p=t.p_eq(r["p_value"]),
            p_adjusted=t.p_eq(r["p_adjusted"]) or "–",
        )
        b.para(text + ("" if is_missing(boot) else " " + t("text.network_dip_bootstrap", p=t.p_eq(boot))))
    contrasts = inputs.tables.get("network_dip_contrasts")
    if contrasts is not None:
        b.para(dip_claim(t, contrasts))
    few = few_partnership_ages(inputs.tables["network_dip"])
    if len(few):
        b.para(t("text.network_dip_survivors", ages=", ".join(str(int(a)) for a in few.index), most=int(few.max())))
    b.figure(inputs.figures.get("network_dip"), titled(t, "fig.network_dip.title", inputs.hypotheses))


def dip_claim(t: Translator, contrasts: pd.DataFrame) -> str:
    """ "Dips and recovers" only when the dip is significantly negative and the recovery
    significantly positive; otherwise what the two contrasts show."""
    rows = contrasts.set_index("contrast") if len(contrasts) else pd.DataFrame()
    if not {"dip", "recovery"} <= set(rows.index):
        return t("text.network_dip_no_contrasts")
    d, r = rows.loc["dip"], rows.loc["recovery"]
    fields = {
        "start": int(d["age_from"]),
        "low": int(d["age_to"]),
        "late": int(r["age_to"]),
        "dip": t.num(d["estimate"]),
        "dip_ci": t.ci(d["ci_low"], d["ci_high"]),
        "dip_p": t.p_eq(d["p_value"]),
        "rec": t.num(r["estimate"]),
        "rec_ci": t.ci(r["ci_low"], r["ci_high"]),
        "rec_p": t.p_eq(r["p_value"]),
    }
    claims = C.claims_table([], {"network_dip_contrasts": contrasts})
    dips, recovers = C.holds(claims, "network_dip:dip"), C.holds(claims, "network_dip:recovery")
    key = {
        (True, True): "dips_recovers",
        (True, False): "dips_only",
        (False, True): "recovers_only",
        (False, False): "neither",
    }[(dips, recovers)]
    return t(f"text.network_dip_{key}", **fields)
