"""Actual durability (RQ6): do partnerships with stronger conditions stop less often?

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

Amendment 1 adds the age-scale analysis (the H7 test): time is partnership age (year - start
year), a partnership-year is the interval (age - 1, age], and the Cox model (`cox_age`) uses the
counting-process rows of the surveyed years only, so a partnership enters at the age of its first
survey (left truncation); `funding_ended` is time-varying. Registry-only information needs no
survey, so `cox_registry` (funding_ended only) and the Kaplan-Meier curves use every registry
partnership from its start year, including those that stopped before they were ever surveyed.
The curves by funding state are Simon-Makuch (extended Kaplan-Meier) curves: a partnership-year
counts in the state it was in that year, so a partnership moves between the curves when its
funding ends.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, stats

from borgingsmonitor.core.tables import write_table

CONDITIONS = ("REL", "FAC", "PRO", "ORG")
RESPONSE_COLUMNS = ("partnership_id", "wave", *CONDITIONS)  # what the survival analysis reads
SURVIVAL_COLUMNS = ["model", "term", "estimate", "ci_low", "ci_high", "p_value", "n_partnerships", "n_events"]
EXTRA_COLUMNS = ["std_error", "n_at_risk", "method", "note"]


def partnership_wave_means(responses: pd.DataFrame) -> pd.DataFrame:
    """Per partnership and wave: the mean of each condition and the composite."""
    means = (
        responses.assign(partnership_id=responses["partnership_id"].astype(str).str.strip())
        .groupby(["partnership_id", "wave"])[list(CONDITIONS)]
        .mean()
        .astype(float)
        .reset_index()
    )
    means["conditions_raw"] = means[list(CONDITIONS)].mean(axis=1, skipna=True)
    means["n_respondents"] = (
        responses.groupby([responses["partnership_id"].astype(str).str.strip(), "wave"]).size().to_numpy()
    )
    return means.sort_values(["partnership_id", "wave"]).reset_index(drop=True)


def default_censor_year(responses: pd.DataFrame) -> int:
    return int(responses["wave"].max()) + 1


YEAR_COLUMNS = [
    "partnership_id",
    "region",
    "year",
    "start",
    "stop",
    "event",
    "funding_ended",
    "surveyed",
    "first_wave",
    "covariate_wave",
    *CONDITIONS,
    "conditions_raw",
]


def _last_year(stopped_year, censor_year: int) -> int:
    stopped = None if pd.isna(stopped_year) else int(stopped_year)
    return censor_year - 1 if stopped is None or stopped >= censor_year else stopped


def at_risk_years(registry: pd.DataFrame, responses: pd.DataFrame, censor_year=None) -> pd.DataFrame:
    """Every registry partnership, one row per year at risk from its start year on.

    `start`/`stop` are ages: the year is the interval (age - 1, age]. `surveyed` marks the years
    after the first surveyed wave, which carry the covariates of the latest wave before.
    """
    censor_year = default_censor_year(responses) if censor_year is None else int(censor_year)
    means = partnership_wave_means(responses)
    by_partnership = dict(tuple(means.groupby("partnership_id")))
    rows = []
    for rec in registry.itertuples(index=False):
        waves = by_partnership.get(rec.partnership_id)
        first = None if waves is None else int(waves["wave"].min())
        start_year = int(rec.start_year)
        for year in range(start_year + 1, _last_year(rec.stopped_year, censor_year) + 1):
            surveyed = first is not None and year > first
            latest = waves[waves["wave"] < year].iloc[-1] if surveyed else None
            rows.append(
                {
                    "partnership_id": rec.partnership_id,
                    "region": rec.region,
                    "year": year,
                    "start": year - start_year - 1,
                    "stop": year - start_year,
                    "event": int(not pd.isna(rec.stopped_year) and int(rec.stopped_year) == year),
                    "funding_ended": int(year > int(rec.funding_end_year)),
                    "surveyed": surveyed,
                    "first_wave": first,
                    "covariate_wave": None if latest is None else int(latest["wave"]),
                    **{c: np.nan if latest is None else latest[c] for c in [*CONDITIONS, "conditions_raw"]},
                }
            )
    out = pd.DataFrame(rows, columns=YEAR_COLUMNS)
    for col in ("first_wave", "covariate_wave"):
        out[col] = out[col].astype("Int64")
    return out.sort_values(["partnership_id", "year"]).reset_index(drop=True)


def partnership_years(registry: pd.DataFrame, responses: pd.DataFrame, censor_year=None) -> pd.DataFrame:
    """The surveyed years at risk, with `t` (years since the first wave) and the standardised
    composite `conditions` (over these rows)."""
    years = at_risk_years(registry, responses, censor_year)
    py = years[years["surveyed"]].copy()
    py["t"] = py["year"] - py["first_wave"].astype(int)
    py["covariate_wave"] = py["covariate_wave"].astype(int)
    sd = py["conditions_raw"].std(ddof=1)
    centred = py["conditions_raw"] - py["conditions_raw"].mean()
    py["conditions"] = centred / sd if len(py) > 1 and sd > 0 else np.nan
    return py.reset_index(drop=True)


def excluded_partnerships(registry: pd.DataFrame, responses: pd.DataFrame, censor_year=None) -> pd.DataFrame:
    """Registry partnerships that contribute no partnership-year, with the reason (for the log)."""
    censor_year = default_censor_year(responses) if censor_year is None else int(censor_year)
    first_wave = partnership_wave_means(responses).groupby("partnership_id")["wave"].min()
    out = []
    for rec in registry.itertuples(index=False):
        if rec.partnership_id not in first_wave.index:
            out.append((rec.partnership_id, "never surveyed"))
        elif not pd.isna(rec.stopped_year) and int(rec.stopped_year) <= first_wave[rec.partnership_id]:
            out.append(
                (rec.partnership_id, f"stopped {rec.stopped_year}, first surveyed {first_wave[rec.partnership_id]}")
            )
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


def firth_logit(
    X: np.ndarray, y: np.ndarray, fixed: dict | None = None, max_iter: int = 200, tol: float = 1e-9, beta0=None
) -> dict:
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
    for it in range(max_iter):  # noqa: B007 (the count is returned)
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
        rows.append(
            {
                "term": name,
                "estimate": fit["params"][j],
                "std_error": np.sqrt(fit["cov"][j, j]),
                "ci_low": _profile_bound(X, y, j, fit, level, -1),
                "ci_high": _profile_bound(X, y, j, fit, level, +1),
                "p_value": float(stats.chi2.sf(lr, 1)),
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["converged"] = fit["converged"]
    return out


def ml_terms(X: np.ndarray, y: np.ndarray, names: list[str], level: float = 0.95) -> tuple[pd.DataFrame, str]:
    """Plain ML logistic GLM (statsmodels); empty estimates with a note where ML does not exist."""
    import statsmodels.api as sm

    empty = pd.DataFrame(
        {"term": names, "estimate": np.nan, "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    )
    if separated(X, y):
        return empty, "ML estimates do not exist: (quasi-)complete separation"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = sm.GLM(y, X, family=sm.families.Binomial()).fit()
        except Exception as exc:  # noqa: BLE001 - any failure of ML is reported, not raised
            return empty, f"ML fit failed: {type(exc).__name__}"
    ci = res.conf_int(1 - level)
    out = pd.DataFrame(
        {
            "term": names,
            "estimate": res.params,
            "std_error": res.bse,
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
            "p_value": res.pvalues,
        }
    )
    return out, "" if res.converged else "ML fit did not converge"


def separated(X: np.ndarray, y: np.ndarray) -> bool:
    """(Quasi-)complete separation: a direction b with (2y-1) x'b >= 0 for all rows, not all zero.

    Checked with a linear programme (Konis' criterion): maximise sum of s_i x_i'b subject to
    s_i x_i'b >= 0 and a box on b; a positive optimum means ML estimates are infinite.
    """
    s = 2 * np.asarray(y, float) - 1
    A = -(s[:, None] * np.asarray(X, float))
    res = optimize.linprog(
        c=A.sum(axis=0), A_ub=A, b_ub=np.zeros(len(y)), bounds=[(-1, 1)] * X.shape[1], method="highs"
    )
    return bool(res.status == 0 and -res.fun > 1e-7)


# --- the hazard models ---------------------------------------------------------------------

MAIN_TERMS = ["intercept", "conditions", "funding_ended"]
INTERACTION_TERMS = MAIN_TERMS + ["conditions:funding_ended"]
FIRTH_METHOD = "Firth logistic, profile penalised-likelihood CI, penalised LR p"


def hazard_design(
    py: pd.DataFrame, interaction: bool = False, min_events_interaction: int = 3
) -> tuple[np.ndarray | None, list[str], str]:
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
        enough = (
            (by_state["sum"] >= min_events_interaction)
            & (by_state["count"] - by_state["sum"] >= min_events_interaction)
        ).all()
        if not ("conditions" in cols and "funding_ended" in cols and enough and len(by_state) == 2):
            return (
                None,
                [],
                (
                    f"interaction not fitted: needs >= {min_events_interaction} stops and "
                    "non-stops in each funding state and variation in both terms"
                ),
            )
        cols["conditions:funding_ended"] = cols["conditions"] * funding
    return np.column_stack(list(cols.values())), list(cols), "; ".join(notes)


def _blank(terms: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"term": terms, "estimate": np.nan, "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    )


def discrete_hazard(py: pd.DataFrame, level: float = 0.95, min_events_interaction: int = 3) -> pd.DataFrame:
    """Rows of three models: `discrete_hazard` (Firth, main effects: the hypothesis reads its
    `conditions` row), `discrete_hazard_interaction` (Firth, + conditions:funding_ended, where
    the data carry it) and `discrete_hazard_ml` (the main-effects model by plain ML)."""
    n_part = py["partnership_id"].nunique()
    n_events = int(py["event"].sum())
    y = py["event"].to_numpy(float)
    size = (n_part, n_events, len(py))
    if n_events == 0 or n_events == len(py):
        what = "no stops" if n_events == 0 else "every partnership-year is a stop"
        note = f"not estimable: {what} in {len(py)} partnership-years"
        return pd.concat(
            [
                _hazard_rows(_blank(MAIN_TERMS), "discrete_hazard", *size, FIRTH_METHOD, note),
                _hazard_rows(_blank(INTERACTION_TERMS), "discrete_hazard_interaction", *size, FIRTH_METHOD, note),
                _hazard_rows(
                    _blank(MAIN_TERMS), "discrete_hazard_ml", *size, "ML logistic (statsmodels GLM), Wald CI", note
                ),
            ],
            ignore_index=True,
        )
    parts = []
    X, names, note = hazard_design(py)
    sparse = f"only {n_events} stops: intervals are wide" if n_events < 10 * (len(names) - 1) else ""
    firth = firth_terms(X, y, names, level)
    failed = "" if firth.attrs["converged"] else "Firth fit did not converge"
    parts.append(
        _hazard_rows(
            _with_missing(firth, MAIN_TERMS), "discrete_hazard", *size, FIRTH_METHOD, _join(note, sparse, failed)
        )
    )
    Xi, names_i, note_i = hazard_design(py, True, min_events_interaction)
    if Xi is None:
        inter = _blank(INTERACTION_TERMS)
        failed_i = ""
    else:
        inter = firth_terms(Xi, y, names_i, level)
        failed_i = "" if inter.attrs["converged"] else "Firth fit did not converge"
    parts.append(
        _hazard_rows(
            _with_missing(inter, INTERACTION_TERMS),
            "discrete_hazard_interaction",
            *size,
            FIRTH_METHOD,
            _join(note_i, sparse, failed_i),
        )
    )
    ml, ml_note = ml_terms(X, y, names, level)
    parts.append(
        _hazard_rows(
            _with_missing(ml, MAIN_TERMS),
            "discrete_hazard_ml",
            *size,
            "ML logistic (statsmodels GLM), Wald CI",
            _join(note, ml_note),
        )
    )
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


# --- the age-scale Cox models (Amendment 1) -----------------------------------------------

COX_METHOD = "Cox partial likelihood on partnership age, (start, stop] rows, Efron ties (lifelines), Wald CI"
COX_OPTIONS = {"precision": 1e-10, "r_precision": 0.0, "max_steps": 200}


def _risk_set_differences(X, start, stop, event) -> np.ndarray:
    """Rows x_j - x_i for every stop i and every j at risk when it happened (start < t <= stop)."""
    diffs = [X[(start < stop[i]) & (stop[i] <= stop)] - X[i] for i in np.flatnonzero(event)]
    return np.vstack(diffs) if diffs else np.zeros((0, X.shape[1]))


def risk_set_variation(X, start, stop, event) -> list[bool]:
    """Per column: does it differ within some stop's risk set? If not, the partial likelihood does
    not depend on its coefficient at all."""
    A = _risk_set_differences(np.asarray(X, float), start, stop, event)
    return [bool(np.any(np.abs(A[:, j]) > 0)) for j in range(A.shape[1])]


def monotone_likelihood(X: np.ndarray, start: np.ndarray, stop: np.ndarray, event: np.ndarray) -> bool:
    """The Cox analogue of separation: a direction b along which the partial likelihood keeps rising.

    That is the case when some b, not zero, makes every event's x'b at least that of everyone in
    its risk set (start < t <= stop); a linear programme as in `separated` finds it.
    """
    A = _risk_set_differences(np.asarray(X, float), start, stop, event)  # (x_j - x_i)'b <= 0 for all
    if not len(A):
        return False
    res = optimize.linprog(
        c=A.sum(axis=0), A_ub=A, b_ub=np.zeros(len(A)), bounds=[(-1, 1)] * X.shape[1], method="highs"
    )
    return bool(res.status == 0 and -res.fun > 1e-7)


def cox_design(
    rows: pd.DataFrame, covariates: list[str], interaction: bool = False, min_events_interaction: int = 3
) -> tuple[list[str], str]:
    """The terms the rows can carry (Cox: no intercept), and why any were left out."""
    kept, notes = [], []
    for name in covariates:
        values = rows[name].astype(float)
        if values.notna().all() and values.std() > 0:
            kept.append(name)
        else:
            notes.append(f"{name} not estimable (no variation)")
    if interaction:
        by_state = rows.groupby("funding_ended")["event"].agg(["sum", "count"])
        enough = (
            len(by_state) == 2
            and (
                (by_state["sum"] >= min_events_interaction)
                & (by_state["count"] - by_state["sum"] >= min_events_interaction)
            ).all()
        )
        if kept != ["conditions", "funding_ended"] or not enough:
            return [], (
                f"interaction not fitted: needs >= {min_events_interaction} stops and non-stops "
                "in each funding state and variation in both terms"
            )
        kept.append("conditions:funding_ended")
    return kept, "; ".join(notes)


def cox_terms(rows: pd.DataFrame, names: list[str], level: float = 0.95) -> tuple[pd.DataFrame, str]:
    """Log hazard ratios with Wald SE, CI and p; blank rows and the reason where no finite fit exists."""
    from lifelines import CoxTimeVaryingFitter

    if not names:
        return _blank(names), ""
    data = (
        rows.assign(**{"conditions:funding_ended": rows["conditions"] * rows["funding_ended"]})
        if "conditions:funding_ended" in names
        else rows
    )
    start, stop, event = (data[c].to_numpy(float) for c in ("start", "stop", "event"))
    varies = risk_set_variation(data[names].to_numpy(float), start, stop, event)
    flat = [n for n, v in zip(names, varies) if not v]
    note = (
        (
            f"{', '.join(flat)} not estimable: the same for everyone at risk at each stop "
            "(on the age scale, a funding period of equal length makes funding_ended a function of age)"
        )
        if flat
        else ""
    )
    names = [n for n, v in zip(names, varies) if v]
    if not names:
        return _blank(flat), note
    X = data[names].to_numpy(float)
    if monotone_likelihood(X, start, stop, event):
        return _blank(names + flat), _join(note, "not estimable: monotone likelihood (an estimate is infinite)")
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(len(names))]).assign(
        id=data["partnership_id"].to_numpy(), start=start, stop=stop, event=event
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = CoxTimeVaryingFitter(alpha=1 - level).fit(
            frame, event_col="event", start_col="start", stop_col="stop", id_col="id", fit_options=COX_OPTIONS
        )
    summary = fit.summary
    z = stats.norm.ppf(0.5 + level / 2)
    out = pd.DataFrame(
        {"term": names, "estimate": summary["coef"].to_numpy(), "std_error": summary["se(coef)"].to_numpy()}
    )
    out["ci_low"] = out["estimate"] - z * out["std_error"]
    out["ci_high"] = out["estimate"] + z * out["std_error"]
    out["p_value"] = 2 * stats.norm.sf(np.abs(out["estimate"] / out["std_error"]))
    return out, note


def cox_models(years: pd.DataFrame, level: float = 0.95, min_events_interaction: int = 3) -> pd.DataFrame:
    """`cox_registry` (every registry partnership from its start; funding_ended), `cox_age` (the H7
    test: surveyed years, entry at the first survey; conditions and funding_ended) and
    `cox_age_interaction` (+ conditions:funding_ended, only where the events allow)."""
    surveyed = years[years["surveyed"]].copy()
    sd = surveyed["conditions_raw"].std(ddof=1)
    surveyed["conditions"] = (
        (surveyed["conditions_raw"] - surveyed["conditions_raw"].mean()) / sd
        if len(surveyed) > 1 and sd > 0
        else np.nan
    )
    specs = [
        ("cox_registry", years, ["funding_ended"], False),
        ("cox_age", surveyed, ["conditions", "funding_ended"], False),
        ("cox_age_interaction", surveyed, ["conditions", "funding_ended"], True),
    ]
    parts = []
    for model, rows, covariates, interaction in specs:
        terms = covariates + (["conditions:funding_ended"] if interaction else [])
        size = (rows["partnership_id"].nunique(), int(rows["event"].sum()), len(rows))
        if size[1] == 0:
            note = f"not estimable: no stops in {len(rows)} partnership-years"
            parts.append(_hazard_rows(_blank(terms), model, *size, COX_METHOD, note))
            continue
        names, note = cox_design(rows, covariates, interaction, min_events_interaction)
        table, fit_note = cox_terms(rows, names, level)
        fitted = table["estimate"].notna().sum() if len(table) else 0
        sparse = f"only {size[1]} stops: intervals are wide" if fitted and size[1] < 10 * fitted else ""
        parts.append(_hazard_rows(_with_missing(table, terms), model, *size, COX_METHOD, _join(note, fit_note, sparse)))
    return pd.concat(parts, ignore_index=True)


KM_METHOD = "Kaplan-Meier on partnership age, (start, stop] rows, log(-log) Greenwood CI"
SM_METHOD = (
    "Simon-Makuch (extended Kaplan-Meier): each partnership-year in its funding state of that year, "
    "log(-log) Greenwood CI"
)


def product_limit(rows: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Survival over age from counting-process rows: at age t the risk set is start < t <= stop.

    Rows enter late (left truncation, or a change of state) and leave early; every row is counted
    only while it is at risk, so the same code gives Kaplan-Meier and Simon-Makuch curves.
    """
    z = stats.norm.ppf(0.5 + level / 2)
    entry = int(rows["start"].min())
    out = [{"t": entry, "estimate": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n_at_risk": np.nan, "n_stops": 0}]
    surv, greenwood = 1.0, 0.0
    for t in range(entry + 1, int(rows["stop"].max()) + 1):
        at_risk = int(((rows["start"] < t) & (t <= rows["stop"])).sum())
        stops = int(rows.loc[rows["stop"] == t, "event"].sum())
        if at_risk > 0 and stops > 0:
            surv *= 1 - stops / at_risk
            greenwood += stops / (at_risk * (at_risk - stops)) if at_risk > stops else np.inf
        low, high = _loglog_ci(surv, greenwood, z)
        out.append({"t": t, "estimate": surv, "ci_low": low, "ci_high": high, "n_at_risk": at_risk, "n_stops": stops})
    return pd.DataFrame(out)


def _loglog_ci(surv: float, greenwood: float, z: float) -> tuple[float, float]:
    if surv >= 1:
        return 1.0, 1.0
    if surv <= 0 or not np.isfinite(greenwood):
        return np.nan, np.nan
    half = z * np.sqrt(greenwood) / abs(np.log(surv))
    return surv ** np.exp(half), surv ** np.exp(-half)


def kaplan_meier(years: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Survival by partnership age of every registry partnership (`all`), and Simon-Makuch curves
    by the funding state each year was in. Terms `<stratum>;t=<age>`; the first row of a curve is
    its entry age with survival 1 (a funding-ended curve starts where funding first ends)."""
    strata = [("all", years, KM_METHOD)]
    strata += [
        (f"funding_ended={'yes' if state else 'no'}", years[years["funding_ended"] == state], SM_METHOD)
        for state in (0, 1)
    ]
    rows = []
    for stratum, sub, method in strata:
        if sub.empty:
            continue
        n_part, n_events = sub["partnership_id"].nunique(), int(sub["event"].sum())
        for r in product_limit(sub, level).itertuples(index=False):
            rows.append(
                {
                    "model": "kaplan_meier",
                    "term": f"{stratum};t={r.t}",
                    "estimate": r.estimate,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "p_value": np.nan,
                    "n_partnerships": n_part,
                    "n_events": n_events,
                    "std_error": np.nan,
                    "n_at_risk": r.n_at_risk,
                    "method": method,
                    "note": "entry" if np.isnan(r.n_at_risk) else f"stops at age {r.t}: {r.n_stops}",
                }
            )
    return pd.DataFrame(rows, columns=SURVIVAL_COLUMNS + EXTRA_COLUMNS)


WHOLE_GROUPS = ("partnerships", "at_risk_from_start", "at_risk_from_first_survey")  # ids not listed: too many


def registry_rows(registry: pd.DataFrame, years: pd.DataFrame) -> pd.DataFrame:
    """How the registry's partnerships enter the analysis: counts in `n_partnerships`, ids in `note`."""
    ids = registry["partnership_id"].astype(str)
    stopped = ids[registry["stopped_year"].notna().to_numpy()]
    surveyed_ids = set(years.loc[years["first_wave"].notna(), "partnership_id"])
    never = ids[~ids.isin(surveyed_ids)]
    in_registry_model = set(years["partnership_id"])
    in_age_model = set(years.loc[years["surveyed"], "partnership_id"])
    groups = {
        "partnerships": ids,
        "never_surveyed": never,
        "stopped": stopped,
        "stopped_never_surveyed": stopped[stopped.isin(never)],
        "at_risk_from_start": ids[ids.isin(in_registry_model)],
        "at_risk_from_first_survey": ids[ids.isin(in_age_model)],
        "no_year_at_risk": ids[~ids.isin(in_registry_model)],
    }
    return pd.DataFrame(
        [
            {
                "model": "registry",
                "term": term,
                "n_partnerships": len(members),
                "n_events": int(members.isin(stopped).sum()),
                "method": "partnership registry",
                "note": "" if term in WHOLE_GROUPS else ", ".join(sorted(members)),
            }
            for term, members in groups.items()
        ]
    ).reindex(columns=SURVIVAL_COLUMNS + EXTRA_COLUMNS)


def survival_table(
    registry: pd.DataFrame,
    responses: pd.DataFrame,
    censor_year=None,
    level: float = 0.95,
    min_events_interaction: int = 3,
) -> pd.DataFrame:
    years = at_risk_years(registry, responses, censor_year)
    parts = [registry_rows(registry, years)]
    if years.empty:
        parts.append(
            pd.DataFrame(
                [
                    {
                        "model": "cox_age",
                        "term": "conditions",
                        "n_partnerships": 0,
                        "n_events": 0,
                        "n_at_risk": 0,
                        "note": "no partnership-years at risk",
                    }
                ]
            )
        )
    else:
        parts += [cox_models(years, level, min_events_interaction), kaplan_meier(years, level)]
    py = partnership_years(registry, responses, censor_year)
    if not py.empty:
        parts.append(discrete_hazard(py, level, min_events_interaction))
    out = pd.concat([p.reindex(columns=SURVIVAL_COLUMNS + EXTRA_COLUMNS) for p in parts], ignore_index=True)
    for col in ["n_partnerships", "n_events", "n_at_risk"]:
        out[col] = out[col].astype("Int64")
    return out


def write_survival(table: pd.DataFrame, path) -> None:
    write_table(table, path)


# --- what the report may say (read back from survival.csv) ---------------------------------

H7_MODEL = "cox_age"
INTERACTION_MODEL, INTERACTION_TERM = "cox_age_interaction", "conditions:funding_ended"


def funding_claim(table: pd.DataFrame, alpha: float = 0.05) -> dict:
    """May the report say "above all after the funding ended"? Only when the interaction was fitted,
    is negative (stronger conditions protect more once funding has ended) and p < alpha.

    status: `not_fitted`, `supported` or `not_supported`, with the row's numbers.
    """
    rows = table[(table["model"].astype(str) == INTERACTION_MODEL) & (table["term"].astype(str) == INTERACTION_TERM)]
    row = rows.iloc[0] if len(rows) else pd.Series(dtype=object)
    estimate, p = (pd.to_numeric(row.get(c), errors="coerce") for c in ("estimate", "p_value"))
    out = {
        "claim": "H7_after_funding",
        "statistic": f"{INTERACTION_MODEL} {INTERACTION_TERM} (log hazard ratio)",
        "threshold": f"estimate < 0 and p < {alpha}",
        "estimate": estimate,
        "p_value": p,
        "ci_low": pd.to_numeric(row.get("ci_low"), errors="coerce"),
        "ci_high": pd.to_numeric(row.get("ci_high"), errors="coerce"),
        "note": str(row.get("note", "") or ""),
    }
    if pd.isna(estimate) or pd.isna(p):
        return {**out, "status": "not_fitted"}
    return {**out, "status": "supported" if estimate < 0 and p < alpha else "not_supported"}


def registry_counts(table: pd.DataFrame) -> dict[str, tuple[int, str]]:
    """The `registry` rows as {term: (number of partnerships, their ids or '')}."""
    rows = table[table["model"].astype(str) == "registry"]
    return {
        str(r.term): (int(r.n_partnerships), "" if pd.isna(r.note) else str(r.note))
        for r in rows.itertuples(index=False)
    }
