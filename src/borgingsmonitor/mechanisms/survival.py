"""H7 actual durability: do partnerships with stronger conditions stop less often?

Partnership-years come from the registry. A partnership is at risk from the year after the
first wave in which it was surveyed up to the year before `censor_year` (the first year the
registry cannot yet report on; default the last wave + 1), or up to the year it stopped.
A year's covariates are the partnership means of the latest wave before that year:
`conditions` (mean of the REL, FAC, PRO, ORG partnership means, standardised over the
partnership-years) and `funding_ended` (year > funding_end_year).

The discrete-time hazard is a logistic regression of stopping per partnership-year. Pilots have
few partnerships and fewer stops, so the primary fit is Firth's penalised likelihood (finite
under separation, less small-sample bias) with profile penalised-likelihood intervals and
penalised likelihood-ratio p-values, as in R's logistf; the plain ML fit (statsmodels GLM) is
reported beside it and flagged where it does not exist (separation). With no stops at all no
hazard model is estimable: the rows say so instead of failing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, stats
from borgingsmonitor.core.tables import write_table

CONDITIONS = ("REL", "FAC", "PRO", "ORG")
SURVIVAL_COLUMNS = ["model", "term", "estimate", "ci_low", "ci_high", "p_value", "n_partnerships", "n_events"]
EXTRA_COLUMNS = ["std_error", "n_at_risk", "method", "note"]


def partnership_wave_means(responses: pd.DataFrame) -> pd.DataFrame:
    """Per partnership and wave: the mean of each condition and the composite."""
    means = (responses.assign(partnership_id=responses["partnership_id"].astype(str).str.strip())
             .groupby(["partnership_id", "wave"])[list(CONDITIONS)]
             .mean().astype(float).reset_index())
    means["conditions_raw"] = means[list(CONDITIONS)].mean(axis=1, skipna=True)
    means["n_respondents"] = responses.groupby(
        [responses["partnership_id"].astype(str).str.strip(), "wave"]).size().to_numpy()
    return means.sort_values(["partnership_id", "wave"]).reset_index(drop=True)


def default_censor_year(responses: pd.DataFrame) -> int:
    return int(responses["wave"].max()) + 1


def partnership_years(registry: pd.DataFrame, responses: pd.DataFrame, censor_year=None) -> pd.DataFrame:
    """One row per partnership and year at risk, with the event and the lagged covariates."""
    censor_year = default_censor_year(responses) if censor_year is None else int(censor_year)
    means = partnership_wave_means(responses)
    first_wave = means.groupby("partnership_id")["wave"].min()
    rows = []
    for rec in registry.itertuples(index=False):
        pid = rec.partnership_id
        if pid not in first_wave.index:
            continue
        stopped = None if pd.isna(rec.stopped_year) else int(rec.stopped_year)
        last = censor_year - 1 if stopped is None or stopped >= censor_year else stopped
        waves = means[means["partnership_id"] == pid]
        for year in range(int(first_wave[pid]) + 1, last + 1):
            latest = waves[waves["wave"] < year].iloc[-1]
            rows.append({
                "partnership_id": pid,
                "region": rec.region,
                "year": year,
                "t": year - int(first_wave[pid]),
                "event": int(stopped == year),
                "funding_ended": int(year > int(rec.funding_end_year)),
                "covariate_wave": int(latest["wave"]),
                **{c: latest[c] for c in CONDITIONS},
                "conditions_raw": latest["conditions_raw"],
            })
    cols = ["partnership_id", "region", "year", "t", "event", "funding_ended", "covariate_wave",
            *CONDITIONS, "conditions_raw"]
    py = pd.DataFrame(rows, columns=cols)
    sd = py["conditions_raw"].std(ddof=1)
    centred = py["conditions_raw"] - py["conditions_raw"].mean()
    py["conditions"] = centred / sd if len(py) > 1 and sd > 0 else np.nan
    return py.sort_values(["partnership_id", "year"]).reset_index(drop=True)


def excluded_partnerships(registry: pd.DataFrame, responses: pd.DataFrame, censor_year=None) -> pd.DataFrame:
    """Registry partnerships that contribute no partnership-year, with the reason (for the log)."""
    censor_year = default_censor_year(responses) if censor_year is None else int(censor_year)
    first_wave = partnership_wave_means(responses).groupby("partnership_id")["wave"].min()
    out = []
    for rec in registry.itertuples(index=False):
        if rec.partnership_id not in first_wave.index:
            out.append((rec.partnership_id, "never surveyed"))
        elif not pd.isna(rec.stopped_year) and int(rec.stopped_year) <= first_wave[rec.partnership_id]:
            out.append((rec.partnership_id, f"stopped {rec.stopped_year}, first surveyed {first_wave[rec.partnership_id]}"))
        elif first_wave[rec.partnership_id] + 1 >= censor_year:
            out.append((rec.partnership_id, "first surveyed in the last wave: no year at risk yet"))
    return pd.DataFrame(out, columns=["partnership_id", "reason"])


# --- Firth-penalised logistic regression -------------------------------------------------

def _firth_parts(X, y, beta):
    eta = X @ beta
    p = 1 / (1 + np.exp(-eta))
    w = p * (1 - p)
    info = X.T @ (w[:, None] * X)
    sign, logdet = np.linalg.slogdet(info)
    loglik = np.sum(y * eta - np.logaddexp(0, eta))
    penalised = loglik + 0.5 * logdet if sign > 0 else -np.inf
    return p, w, info, penalised


def firth_logit(X: np.ndarray, y: np.ndarray, fixed: dict | None = None, max_iter: int = 200,
                tol: float = 1e-9, beta0=None) -> dict:
    """Firth's penalised ML for a logistic model; coefficients in `fixed` are held at their values.

    Newton steps on the modified score X'(y - p + h(1/2 - p)) with step halving on the penalised
    log-likelihood l(b) + log|I(b)|/2; the penalty always uses the full design (as logistf does for
    its profile and likelihood-ratio computations).
    """
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    k = X.shape[1]
    fixed = fixed or {}
    free = np.array([j for j in range(k) if j not in fixed], dtype=int)
    beta = np.zeros(k) if beta0 is None else np.array(beta0, float)
    for j, v in fixed.items():
        beta[j] = v
    p, w, info, pen = _firth_parts(X, y, beta)
    converged = False
    for it in range(max_iter):
        inv = np.linalg.inv(info)
        h = w * np.einsum("ij,jk,ik->i", X, inv, X)
        score = X.T @ (y - p + h * (0.5 - p))
        if len(free) == 0 or np.max(np.abs(score[free])) < tol:
            converged = True
            break
        step = np.zeros(k)
        step[free] = np.linalg.solve(info[np.ix_(free, free)], score[free])
        step = np.clip(step, -5, 5)
        for _ in range(50):
            candidate = beta + step
            p_c, w_c, info_c, pen_c = _firth_parts(X, y, candidate)
            if pen_c >= pen - 1e-12:
                break
            step = step / 2
        beta, p, w, info, pen = candidate, p_c, w_c, info_c, pen_c
    cov = np.linalg.inv(info)
    return {"params": beta, "cov": cov, "penalised_loglik": pen, "converged": converged, "n_iter": it + 1}


def _profile_bound(X, y, j, fit, level, side):
    """Where the penalised likelihood-ratio for coefficient j crosses the chi2(1) quantile."""
    crit = stats.chi2.ppf(level, 1)
    est = fit["params"][j]
    se = np.sqrt(fit["cov"][j, j])

    def gap(value):
        try:
            restricted = firth_logit(X, y, fixed={j: value}, beta0=fit["params"])
        except np.linalg.LinAlgError:  # so far out that every fitted probability is 0 or 1
            return np.inf
        return 2 * (fit["penalised_loglik"] - restricted["penalised_loglik"]) - crit

    inside, width = est, max(se, 0.1)
    for _ in range(40):
        edge = est + side * width
        g = gap(edge)
        if g > 0:
            for _ in range(100):  # brentq needs a finite end: step back from where the fit breaks down
                if np.isfinite(g):
                    return optimize.brentq(gap, min(inside, edge), max(inside, edge), xtol=1e-8)
                middle = (inside + edge) / 2
                g_middle = gap(middle)
                inside, edge, g = (middle, edge, g) if g_middle <= 0 else (inside, middle, g_middle)
            return np.nan
        inside, width = edge, width * 2
    return np.nan


def firth_terms(X: np.ndarray, y: np.ndarray, names: list[str], level: float = 0.95) -> pd.DataFrame:
    """Estimates, Wald SE, profile penalised-likelihood CI and penalised LR p-value per term."""
    fit = firth_logit(X, y)
    rows = []
    for j, name in enumerate(names):
        restricted = firth_logit(X, y, fixed={j: 0.0}, beta0=fit["params"])
        lr = max(0.0, 2 * (fit["penalised_loglik"] - restricted["penalised_loglik"]))
        rows.append({
            "term": name,
            "estimate": fit["params"][j],
            "std_error": np.sqrt(fit["cov"][j, j]),
            "ci_low": _profile_bound(X, y, j, fit, level, -1),
            "ci_high": _profile_bound(X, y, j, fit, level, +1),
            "p_value": float(stats.chi2.sf(lr, 1)),
        })
    out = pd.DataFrame(rows)
    out.attrs["converged"] = fit["converged"]
    return out


def ml_terms(X: np.ndarray, y: np.ndarray, names: list[str], level: float = 0.95) -> tuple[pd.DataFrame, str]:
    """Plain ML logistic GLM (statsmodels); empty estimates with a note where ML does not exist."""
    import statsmodels.api as sm

    empty = pd.DataFrame({"term": names, "estimate": np.nan, "std_error": np.nan,
                          "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan})
    if separated(X, y):
        return empty, "ML estimates do not exist: (quasi-)complete separation"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = sm.GLM(y, X, family=sm.families.Binomial()).fit()
        except Exception as exc:  # noqa: BLE001 - any failure of ML is reported, not raised
            return empty, f"ML fit failed: {type(exc).__name__}"
    ci = res.conf_int(1 - level)
    out = pd.DataFrame({"term": names, "estimate": res.params, "std_error": res.bse,
                        "ci_low": ci[:, 0], "ci_high": ci[:, 1], "p_value": res.pvalues})
    return out, "" if res.converged else "ML fit did not converge"


def separated(X: np.ndarray, y: np.ndarray) -> bool:
    """(Quasi-)complete separation: a direction b with (2y-1) x'b >= 0 for all rows, not all zero.

    Checked with a linear programme (Konis' criterion): maximise sum of s_i x_i'b subject to
    s_i x_i'b >= 0 and a box on b; a positive optimum means ML estimates are infinite.
    """
    s = 2 * np.asarray(y, float) - 1
    A = -(s[:, None] * np.asarray(X, float))
    res = optimize.linprog(c=A.sum(axis=0), A_ub=A, b_ub=np.zeros(len(y)),
                           bounds=[(-1, 1)] * X.shape[1], method="highs")
    return bool(res.status == 0 and -res.fun > 1e-7)


# --- the H7 models ---------------------------------------------------------------------

MAIN_TERMS = ["intercept", "conditions", "funding_ended"]
INTERACTION_TERMS = MAIN_TERMS + ["conditions:funding_ended"]
FIRTH_METHOD = "Firth logistic, profile penalised-likelihood CI, penalised LR p"


def hazard_design(py: pd.DataFrame, interaction: bool = False,
                  min_events_interaction: int = 3) -> tuple[np.ndarray | None, list[str], str]:
    """Design of a hazard model; drops what the data cannot carry and says why.

    The interaction needs at least `min_events_interaction` stops and as many non-stops in each
    funding state; otherwise (None, [], reason).
    """
    notes = []
    cols = {"intercept": np.ones(len(py))}
    if py["conditions"].notna().all() and py["conditions"].std() > 0:
        cols["conditions"] = py["conditions"].to_numpy(float)
    else:
        notes.append("conditions not estimable (no variation)")
    funding = py["funding_ended"].to_numpy(float)
    if 0 < funding.sum() < len(funding):
        cols["funding_ended"] = funding
    else:
        notes.append("funding_ended not estimable (no variation)")
    if interaction:
        by_state = py.groupby("funding_ended")["event"].agg(["sum", "count"])
        enough = ((by_state["sum"] >= min_events_interaction)
                  & (by_state["count"] - by_state["sum"] >= min_events_interaction)).all()
        if not ("conditions" in cols and "funding_ended" in cols and enough and len(by_state) == 2):
            return None, [], (f"interaction not fitted: needs >= {min_events_interaction} stops and "
                              "non-stops in each funding state and variation in both terms")
        cols["conditions:funding_ended"] = cols["conditions"] * funding
    return np.column_stack(list(cols.values())), list(cols), "; ".join(notes)


def _blank(terms: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"term": terms, "estimate": np.nan, "std_error": np.nan,
                         "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan})


def discrete_hazard(py: pd.DataFrame, level: float = 0.95, min_events_interaction: int = 3) -> pd.DataFrame:
    """Rows of three models: `discrete_hazard` (Firth, main effects: the H7 test is its
    `conditions` row), `discrete_hazard_interaction` (Firth, + conditions:funding_ended, where
    the data carry it) and `discrete_hazard_ml` (the main-effects model by plain ML)."""
    n_part = py["partnership_id"].nunique()
    n_events = int(py["event"].sum())
    y = py["event"].to_numpy(float)
    size = (n_part, n_events, len(py))
    if n_events == 0 or n_events == len(py):
        what = "no stops" if n_events == 0 else "every partnership-year is a stop"
        note = f"not estimable: {what} in {len(py)} partnership-years"
        return pd.concat([
            _hazard_rows(_blank(MAIN_TERMS), "discrete_hazard", *size, FIRTH_METHOD, note),
            _hazard_rows(_blank(INTERACTION_TERMS), "discrete_hazard_interaction", *size, FIRTH_METHOD, note),
            _hazard_rows(_blank(MAIN_TERMS), "discrete_hazard_ml", *size, "ML logistic (statsmodels GLM), Wald CI", note),
        ], ignore_index=True)
    parts = []
    X, names, note = hazard_design(py)
    sparse = f"only {n_events} stops: intervals are wide" if n_events < 10 * (len(names) - 1) else ""
    firth = firth_terms(X, y, names, level)
    failed = "" if firth.attrs["converged"] else "Firth fit did not converge"
    parts.append(_hazard_rows(_with_missing(firth, MAIN_TERMS), "discrete_hazard", *size, FIRTH_METHOD,
                              _join(note, sparse, failed)))
    Xi, names_i, note_i = hazard_design(py, True, min_events_interaction)
    if Xi is None:
        inter = _blank(INTERACTION_TERMS)
        failed_i = ""
    else:
        inter = firth_terms(Xi, y, names_i, level)
        failed_i = "" if inter.attrs["converged"] else "Firth fit did not converge"
    parts.append(_hazard_rows(_with_missing(inter, INTERACTION_TERMS), "discrete_hazard_interaction", *size,
                              FIRTH_METHOD, _join(note_i, sparse, failed_i)))
    ml, ml_note = ml_terms(X, y, names, level)
    parts.append(_hazard_rows(_with_missing(ml, MAIN_TERMS), "discrete_hazard_ml", *size,
                              "ML logistic (statsmodels GLM), Wald CI", _join(note, ml_note)))
    return pd.concat(parts, ignore_index=True)


def _join(*notes) -> str:
    return "; ".join(n for n in notes if n)


def _with_missing(terms_table: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    return terms_table.set_index("term").reindex(terms).reset_index()


def _hazard_rows(table, model, n_part, n_events, n_rows, method, note) -> pd.DataFrame:
    out = table.copy()
    out.insert(0, "model", model)
    out["n_partnerships"] = n_part
    out["n_events"] = n_events
    out["n_at_risk"] = n_rows
    out["method"] = method
    out["note"] = note
    return out[SURVIVAL_COLUMNS + EXTRA_COLUMNS]


def followup(py: pd.DataFrame) -> pd.DataFrame:
    """One row per partnership: years of follow-up, stopped or not, funding status at entry."""
    per = py.groupby("partnership_id").agg(duration=("t", "max"), event=("event", "max"),
                                           funding_at_entry=("funding_ended", "first"))
    per["group"] = np.where(per["funding_at_entry"] == 1, "funding_ended=yes", "funding_ended=no")
    return per.reset_index()


def kaplan_meier(py: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Survival by funding status at entry (t = years since the first wave), plus a log-rank test."""
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test

    per = followup(py)
    rows = []
    for group, sub in per.groupby("group", sort=True):
        km = KaplanMeierFitter(alpha=1 - level).fit(sub["duration"], sub["event"], timeline=range(0, sub["duration"].max() + 1))
        ci = km.confidence_interval_survival_function_
        table = km.event_table
        for t in range(1, int(sub["duration"].max()) + 1):
            at_risk = int((sub["duration"] >= t).sum())
            rows.append({
                "model": "kaplan_meier", "term": f"{group};t={t}",
                "estimate": float(km.survival_function_.loc[t].iloc[0]),
                "ci_low": float(ci.loc[t].iloc[0]), "ci_high": float(ci.loc[t].iloc[1]),
                "p_value": np.nan, "n_partnerships": len(sub), "n_events": int(sub["event"].sum()),
                "std_error": np.nan, "n_at_risk": at_risk,
                "method": "Kaplan-Meier (lifelines), log(-log) Greenwood CI",
                "note": f"{int(table.loc[t, 'observed']) if t in table.index else 0} stops at t={t}",
            })
    groups = sorted(per["group"].unique())
    if len(groups) == 2:
        a, b = (per[per["group"] == g] for g in groups)
        if per["event"].sum() > 0:
            test = logrank_test(a["duration"], b["duration"], a["event"], b["event"])
            stat, p, note = float(test.test_statistic), float(test.p_value), ""
        else:
            stat, p, note = np.nan, np.nan, "no stops: no test"
        rows.append({"model": "kaplan_meier", "term": "logrank:funding_ended", "estimate": stat,
                     "ci_low": np.nan, "ci_high": np.nan, "p_value": p, "n_partnerships": len(per),
                     "n_events": int(per["event"].sum()), "std_error": np.nan, "n_at_risk": len(per),
                     "method": "log-rank chi2 (1 df)", "note": note})
    return pd.DataFrame(rows, columns=SURVIVAL_COLUMNS + EXTRA_COLUMNS)


def survival_table(registry: pd.DataFrame, responses: pd.DataFrame, censor_year=None,
                   level: float = 0.95, min_events_interaction: int = 3) -> pd.DataFrame:
    py = partnership_years(registry, responses, censor_year)
    if py.empty:
        note = "no partnership-years at risk"
        blank = pd.DataFrame([{"model": "discrete_hazard", "term": "intercept", "n_partnerships": 0,
                               "n_events": 0, "n_at_risk": 0, "note": note}])
        return blank.reindex(columns=SURVIVAL_COLUMNS + EXTRA_COLUMNS)
    parts = [discrete_hazard(py, level, min_events_interaction), kaplan_meier(py, level)]
    out = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    for col in ["n_partnerships", "n_events", "n_at_risk"]:
        out[col] = out[col].astype("Int64")
    return out


def write_survival(table: pd.DataFrame, path) -> None:
    write_table(table, path)
