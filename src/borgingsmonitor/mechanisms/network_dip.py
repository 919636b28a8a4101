"""The network dip (RQ5): is durability, adjusted for the conditions, non-linear in partnership age?

Two mixed models with random intercepts for partnership within region, fitted by ML so that
their fixed effects can be compared by a likelihood-ratio test:
  linear: DUR ~ age + REL + FAC + PRO + ORG + C(wave)
  spline: DUR ~ ns(age, df=3) + REL + FAC + PRO + ORG + C(wave)
The natural cubic spline is the restricted cubic spline basis (linear part + 2 non-linear
columns) with boundary knots at the observed minimum and maximum age and two interior knots at
the age tertiles. The linear model is the spline model without the non-linear columns, so the
LRT has 2 degrees of freedom. The basis is computed in our own columns (no data-dependent
centring), so the curve for new ages uses exactly the fitted basis.

Amendment 1 adds three things. (1) A parametric-bootstrap p-value for the LRT: the LR statistic of
a variance component model is not exactly chi2 in small samples (25 partnerships), so data are
simulated from the fitted linear (null) model and both models refitted, B times (seeded). (2) Two
contrasts on the adjusted curve, each with a t CI on its Satterthwaite df: the dip (lowest point minus the start) and the
recovery (latest age minus the lowest point); only these say "dips and recovers", the LRT says
"not a straight line". (3) Ages carried by fewer than `min_partnerships` partnerships are shown but
not interpreted (stopped partnerships are not surveyed: late ages are survivors), so the contrasts
use only the other ages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

from borgingsmonitor.core.contracts import NOT_CONVERGED
from borgingsmonitor.core.disclosure import DEFAULT_MIN_GROUP_SIZE, suppress_small
from borgingsmonitor.core.tables import write_table
from borgingsmonitor.models.table import MODEL_COLUMNS, extra_terms, model_rows, wald_terms

AGE = "partnership_age"
CONDITIONS = ("REL", "FAC", "PRO", "ORG")
COLUMNS = ("region", "partnership_id", "wave", AGE, "DUR", *CONDITIONS)  # all the analysis reads
CURVE_COLUMNS = ["partnership_age", "estimate", "ci_low", "ci_high"]
CONTRAST_COLUMNS = [
    "contrast",
    "age_from",
    "age_to",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n_partnerships_from",
    "n_partnerships_to",
    "significant",
    "df",
]
# added after `suppressed`, so the earlier columns keep their places
SURVIVOR_COLUMNS = ["n_partnerships", "few_partnerships"]
DEFAULT_MIN_PARTNERSHIPS = 5
DEFAULT_N_BOOT = 999
SPLINE_TERMS = ["age_linear", "age_nonlinear_1", "age_nonlinear_2"]


@dataclass
class LmmFit:
    params: pd.Series
    bse: pd.Series
    cov_params: pd.DataFrame
    loglik: float
    converged: bool
    n_obs: int
    n_groups: dict


class NotEstimable(ValueError):
    """The data cannot carry the curve (one partnership age, say): a first wave is not an error."""


def not_estimable(reason: str, n_obs: int) -> dict:
    """An empty curve and contrasts, and the test row saying why, so the run goes on and the report
    says the dip could not be tested yet."""
    curve = pd.DataFrame(columns=[*CURVE_COLUMNS, "std_error", "n", "suppressed", *SURVIVOR_COLUMNS])
    terms = pd.DataFrame({"term": ["lrt_spline_vs_linear"], "estimate": [np.nan], "p_value": [np.nan]})
    rows = model_rows("network_dip", terms, n_obs, 0, f"ML; not estimable: {reason}")
    return {"curve": curve, "contrasts": pd.DataFrame(columns=CONTRAST_COLUMNS), "rows": rows}


def spline_knots(age, df: int = 3) -> np.ndarray:
    """Boundary knots at min/max age, df-1 interior knots at quantiles (equal spacing on ties)."""
    age = np.asarray(age, dtype=float)
    lo, hi = age.min(), age.max()
    if hi <= lo:
        raise NotEstimable("partnership_age takes a single value: no curve can be fitted")
    probs = np.linspace(0, 1, df + 1)[1:-1]
    inner = np.quantile(age, probs)
    knots = np.concatenate([[lo], inner, [hi]])
    if np.any(np.diff(knots) <= 0):
        knots = np.linspace(lo, hi, df + 1)
    return knots


def spline_basis(age, knots) -> np.ndarray:
    """Restricted (natural) cubic spline basis: [age, nonlinear_1, ..., nonlinear_{K-2}].

    Harrell's truncated-power form, scaled by (t_K - t_1)^2; linear beyond the boundary knots.
    """
    x = np.asarray(age, dtype=float)
    t = np.asarray(knots, dtype=float)
    k = len(t)
    scale = (t[-1] - t[0]) ** 2

    def pos3(v):
        return np.clip(v, 0, None) ** 3

    cols = [x]
    for j in range(k - 2):
        term = (
            pos3(x - t[j])
            - pos3(x - t[k - 2]) * (t[k - 1] - t[j]) / (t[k - 1] - t[k - 2])
            + pos3(x - t[k - 1]) * (t[k - 2] - t[j]) / (t[k - 1] - t[k - 2])
        )
        cols.append(term / scale)
    return np.column_stack(cols)


def analysis_frame(data: pd.DataFrame, knots=None, df: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    frame = data[list(COLUMNS)].dropna().copy()
    for col in ["DUR", *CONDITIONS]:
        frame[col] = frame[col].astype(float)
    frame[AGE] = frame[AGE].astype(float)
    frame["wave"] = frame["wave"].astype(int)
    frame["region"] = frame["region"].astype(str)
    frame["partnership_id"] = frame["partnership_id"].astype(str)
    frame = frame.sort_values(["region", "partnership_id", "wave"], kind="stable").reset_index(drop=True)
    knots = spline_knots(frame[AGE], df) if knots is None else np.asarray(knots, float)
    basis = spline_basis(frame[AGE], knots)
    for i, name in enumerate(SPLINE_TERMS[: basis.shape[1]]):
        frame[name] = basis[:, i]
    return frame, knots


def formulas(n_spline: int) -> tuple[str, str]:
    rhs = " + ".join([*CONDITIONS, "C(wave)"])
    spline = " + ".join(SPLINE_TERMS[:n_spline])
    return f"DUR ~ age_linear + {rhs}", f"DUR ~ {spline} + {rhs}"


def _fit_statsmodels(formula: str, data: pd.DataFrame, region: str, partnership: str, method: str) -> LmmFit:
    import warnings

    import statsmodels.formula.api as smf

    model = smf.mixedlm(formula, data, groups=region, re_formula="1", vc_formula={partnership: f"0 + C({partnership})"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(reml=(method == "REML"))
    names = list(result.fe_params.index)
    return LmmFit(
        params=result.fe_params,
        bse=result.bse_fe,
        cov_params=result.cov_params().loc[names, names],
        loglik=float(result.llf),
        converged=bool(result.converged),
        n_obs=int(result.nobs),
        n_groups={region: data[region].nunique(), partnership: data[partnership].nunique()},
    )


def fit_lmm(formula: str, data: pd.DataFrame, region="region", partnership="partnership_id", method="ML"):
    """The project's nested mixed model when it is available, else statsmodels MixedLM."""
    try:
        from borgingsmonitor.models.nested_lmm import fit_nested_lmm
    except ImportError:
        return _fit_statsmodels(formula, data, region, partnership, method)
    return fit_nested_lmm(formula, data, region=region, partnership=partnership, method=method)


def _as_series(values, names=None) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, float), index=names)


def _as_frame(cov, names) -> pd.DataFrame:
    if isinstance(cov, pd.DataFrame):
        return cov.loc[names, names]
    cov = cov() if callable(cov) else cov
    return pd.DataFrame(np.asarray(cov, float), index=names, columns=names)


def likelihood_ratio(fit_small, fit_big, df: int) -> dict:
    chi2 = max(0.0, 2 * (float(fit_big.loglik) - float(fit_small.loglik)))
    return {"chi2": chi2, "df": df, "p_value": float(stats.chi2.sf(chi2, df))}


def curve_rows(params: pd.Series, frame: pd.DataFrame, ages, knots) -> pd.DataFrame:
    """Design rows of the adjusted curve at `ages`: conditions at their sample means, wave at the
    reference (earliest) wave."""
    basis = spline_basis(ages, knots)
    X = pd.DataFrame(0.0, index=range(len(ages)), columns=list(params.index))
    X["Intercept"] = 1.0
    for i, name in enumerate(SPLINE_TERMS[: basis.shape[1]]):
        if name in X:
            X[name] = basis[:, i]
    for col in CONDITIONS:
        X[col] = frame[col].mean()
    return X


def partnerships_per_age(frame: pd.DataFrame) -> pd.Series:
    """Distinct partnerships (within region) that carry each age."""
    pairs = frame[[AGE, "region", "partnership_id"]].drop_duplicates()
    return pairs.groupby(AGE).size()


def adjusted_curve(
    fit, frame: pd.DataFrame, knots, level: float = 0.95, min_partnerships: int = DEFAULT_MIN_PARTNERSHIPS
) -> pd.DataFrame:
    """Predicted DUR (on the DUR scale) per observed age with a 95% CI from the fixed-effect
    covariance; `few_partnerships` marks ages shown but not interpreted."""
    params = _as_series(fit.params)
    cov = _as_frame(fit.cov_params, list(params.index))
    ages = np.sort(frame[AGE].unique())
    X = curve_rows(params, frame, ages, knots).to_numpy()
    estimate = X @ params.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", X, cov.to_numpy(), X))
    crit = stats.norm.ppf(0.5 + level / 2)
    counts = frame.groupby(AGE).size().reindex(ages).to_numpy()
    n_partnerships = partnerships_per_age(frame).reindex(ages).to_numpy()
    return pd.DataFrame(
        {
            "partnership_age": ages.astype(int),
            "estimate": estimate,
            "ci_low": estimate - crit * se,
            "ci_high": estimate + crit * se,
            "std_error": se,
            "n": counts,
            "n_partnerships": n_partnerships,
            "few_partnerships": n_partnerships < min_partnerships,
        }
    )


def contrast_ages(curve: pd.DataFrame) -> tuple[float, float, float] | None:
    """(start, lowest, latest) among the interpreted ages: the first, the lowest point strictly
    between, and the last; None with fewer than three interpreted ages."""
    kept = curve[~curve["few_partnerships"].astype(bool)].sort_values("partnership_age")
    if len(kept) < 3:
        return None
    inner = kept.iloc[1:-1]
    lowest = inner.loc[inner["estimate"].astype(float).idxmin(), "partnership_age"]
    return kept["partnership_age"].iloc[0], lowest, kept["partnership_age"].iloc[-1]


def dip_contrasts(fit, frame: pd.DataFrame, knots, curve: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The dip (lowest - start) and the recovery (latest - lowest), each with a t interval and p on
    its Satterthwaite df (as lmerTest's `contest`; the normal where the fit has no df).

    The conditions and the wave cancel in a difference of two ages, so each contrast is a linear
    combination of the spline coefficients only. The lowest point is chosen from the same data,
    so the dip's p-value is somewhat optimistic (docs/validation-models.md).
    """
    ages = contrast_ages(curve)
    if ages is None:
        return pd.DataFrame(columns=CONTRAST_COLUMNS)
    params = _as_series(fit.params)
    cov = _as_frame(fit.cov_params, list(params.index)).to_numpy()
    X = curve_rows(params, frame, np.asarray(ages, float), knots).to_numpy()
    L = np.array([X[1] - X[0], X[2] - X[1]])
    estimate, se = L @ params.to_numpy(), np.sqrt(np.einsum("ri,ij,rj->r", L, cov, L))
    df = fit.contrast_df(L) if hasattr(fit, "contrast_df") else np.full(2, np.inf)
    crit = stats.t.ppf(0.5 + level / 2, df)
    low, high = estimate - crit * se, estimate + crit * se
    counts = curve.set_index("partnership_age")["n_partnerships"]
    rows = [
        {
            "contrast": name,
            "age_from": int(ages[i]),
            "age_to": int(ages[i + 1]),
            "estimate": float(estimate[i]),
            "std_error": float(se[i]),
            "ci_low": float(low[i]),
            "ci_high": float(high[i]),
            "p_value": float(2 * stats.t.sf(abs(estimate[i] / se[i]), df[i])),
            "n_partnerships_from": int(counts[ages[i]]),
            "n_partnerships_to": int(counts[ages[i + 1]]),
            "significant": bool(low[i] > 0 or high[i] < 0),
            "df": float(df[i]) if np.isfinite(df[i]) else np.nan,
        }
        for i, name in enumerate(("dip", "recovery"))
    ]
    return pd.DataFrame(rows, columns=CONTRAST_COLUMNS)


def dips_and_recovers(contrasts: pd.DataFrame) -> bool:
    """The claim "dips and recovers": the dip significantly negative AND the recovery significantly
    positive (each 95% CI excludes 0 on the claimed side)."""
    rows = contrasts.set_index("contrast") if len(contrasts) else None
    if rows is None or not {"dip", "recovery"} <= set(rows.index):
        return False
    return bool(rows.loc["dip", "ci_high"] < 0 and rows.loc["recovery", "ci_low"] > 0)


def max_loglik(stats, start) -> tuple[float, np.ndarray]:
    """ML log-likelihood maximised over the two variance ratios, from a warm start; (loglik, ratios).

    On the square-root scale (lme4's theta) a ratio of 0 is a plain bound that L-BFGS-B reaches in
    a step, where on the log scale it would crawl towards it. A lighter tolerance than the reported
    fits: the bootstrap needs LR statistics to ~1e-6, not estimates to machine precision.
    """
    from borgingsmonitor.models.nested_lmm import _Profile

    prof = _Profile(stats, "ML")

    def fun(theta):
        val, grad = prof.criterion(*(theta**2), grad=True)
        return val, 2 * grad * theta

    theta0 = np.sqrt(np.maximum(np.asarray(start, float), 1e-4))
    res = optimize.minimize(
        fun,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * 2,
        options={"ftol": 1e-12, "gtol": 1e-7, "maxiter": 200},
    )
    return -0.5 * float(res.fun), res.x**2


def bootstrap_lr(
    frame: pd.DataFrame,
    formulas_pair: tuple[str, str],
    fit_linear,
    observed: float,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
) -> dict:
    """Parametric-bootstrap p-value of the LR statistic: y simulated from the fitted linear model
    (fixed effects plus region, partnership and residual draws), both models refitted by ML.

    X does not change between draws, only y: the rows are grouped into cells and X'X formed once
    (`nested_lmm.FixedDesign`); a draw's X'y, y'y and 1'y follow from the fixed mean's, the cell's
    random effects and the residuals' sums (`NullDraws`), for the spline model's columns (the linear
    model's are among them: its statistics are a selection). The null refit starts at the fitted
    null's variance ratios and the alternative at the null refit's (warm starts instead of a grid
    search). p = (1 + #{LR* >= LR}) / (B + 1).
    """
    from borgingsmonitor.models.nested_lmm import FixedDesign, cell_layout

    X_small = fixed_design(formulas_pair[0], frame)
    X_big = fixed_design(formulas_pair[1], frame)
    params = _as_series(fit_linear.params).reindex(X_small.columns)
    mean = X_small.to_numpy() @ params.to_numpy()
    region, partnership = frame["region"].to_numpy(), frame["partnership_id"].to_numpy()
    r_codes, r_n = pd.factorize(region)[0], frame["region"].nunique()
    p_codes, p_n = pd.factorize(frame["region"] + "/" + frame["partnership_id"])
    sd = {k: np.sqrt(max(v, 0.0)) for k, v in fit_linear.sigma2.items()}
    ratios = [fit_linear.sigma2[k] / fit_linear.sigma2["residual"] for k in ("region", "partnership")]
    layout = cell_layout({"region": region, "partnership": partnership}, len(frame))
    first = layout.order[layout.starts]  # a row of each cell: its region and partnership draw
    rng = np.random.default_rng(seed)
    values = np.empty(n_boot)
    with threadpool_limits(limits=1, user_api="blas"):  # small matrices: BLAS threads only spin
        draws = NullDraws.of(FixedDesign.of(layout, X_big), mean)
        small = [str(c) for c in X_small.columns]
        for b in range(n_boot):
            values[b] = _one_draw(rng, draws, sd, r_codes[first], r_n, p_codes[first], len(p_n), small, ratios)
    return {
        "p_value": float((1 + np.sum(values >= observed - 1e-9)) / (n_boot + 1)),
        "n_boot": int(n_boot),
        "seed": int(seed),
        "null_q95": float(np.quantile(values, 0.95)),
        "values": values,
    }


def fixed_design(formula: str, frame: pd.DataFrame) -> pd.DataFrame:
    """X of `formula`, the wave read by patsy as a Categorical's codes (as `fit_nested_lmm` does)."""
    from borgingsmonitor.models.design import design_matrices, formula_columns, patsy_ready

    sub = frame[formula_columns(formula, frame)]
    return design_matrices(formula, sub.assign(**patsy_ready(formula, sub)))[1]


def _one_draw(rng, draws, sd, r_cells, r_n, p_cells, p_n, small, ratios) -> float:
    """One draw: the region, partnership and residual draws in that order (as y = mean + region[r] +
    partnership[p] + e, row by row), both models refitted."""
    u = rng.normal(0, sd["region"], r_n)[r_cells] + rng.normal(0, sd["partnership"], p_n)[p_cells]
    big = draws.stats(u, rng.normal(0, sd["residual"], draws.n_rows))
    ll_small, t_small = max_loglik(big.select(small), ratios)
    ll_big, _ = max_loglik(big, t_small)
    return max(0.0, 2 * (ll_big - ll_small))


BLOCK_ROWS = 1 << 14  # a draw's products of e and the rows are formed a block of cells at a time


@dataclass(frozen=True)
class NullDraws:
    """Cell statistics of y = mean + u + e for many draws of u (one value per cell) and e (per row).

    Within a cell u is a constant, so X'y = X'mean + u X'1 + X'e, y'y = mean'mean + 2 u 1'mean +
    2 mean'e + n u^2 + 2 u 1'e + e'e and 1'y = 1'mean + n u + 1'e: a draw costs only the residuals'
    sums. Columns constant within runs of rows (the intercept, the wave dummies and the spline of
    partnership age are constant within a partnership's wave) take X'e from the runs' sums of e; the
    others (and mean) one product a row. Same sums in another order than the plain pass over y
    (`CellLayout.stats`): equal to rounding.
    """

    base: object  # NestedStats of y = mean
    order: np.ndarray | None  # rows into cell order (None: they are in it)
    starts: np.ndarray
    runs: np.ndarray  # first row of each run (cell order); every cell starts a run
    run_cells: np.ndarray  # first run of each cell
    constant: np.ndarray  # columns constant within runs
    x_runs: np.ndarray  # their value per run
    rows: np.ndarray  # the other columns and mean, a line each (columns: rows in cell order)
    varying: np.ndarray
    blocks: tuple  # (first row, end row, first cell, end cell, first run, end run) of blocks of cells

    @property
    def n_rows(self) -> int:
        return self.rows.shape[1]

    @classmethod
    def of(cls, design, mean, share: float = 0.25, block_rows: int = BLOCK_ROWS) -> NullDraws:
        layout, xs = design.layout, design.xs
        n = len(xs)
        order = None if np.array_equal(layout.order, np.arange(n)) else layout.order
        cut = np.zeros(n, dtype=bool)
        cut[layout.starts] = True
        change = xs[1:] != xs[:-1]
        constant = np.flatnonzero(change.sum(axis=0) < share * n)
        cut[1:] |= change[:, constant].any(axis=1)
        runs = np.flatnonzero(cut)
        if len(runs) > share * n:  # too many runs to gain: every column row by row
            runs, constant = np.asarray(layout.starts), np.array([], dtype=int)
        varying = np.setdiff1d(np.arange(xs.shape[1]), constant)
        rows = np.vstack([xs[:, varying].T, np.asarray(mean, dtype=float)[layout.order]])
        return cls(
            design.stats(mean),
            order,
            np.asarray(layout.starts),
            runs,
            np.searchsorted(runs, layout.starts),
            constant,
            xs[runs][:, constant],
            rows,
            varying,
            cell_blocks(np.asarray(layout.starts), runs, n, block_rows),
        )

    def stats(self, u, e):
        """The statistics of y = mean + u[cell] + e (e row by row, in the rows' own order)."""
        es = np.asarray(e, dtype=float) if self.order is None else np.asarray(e, dtype=float)[self.order]
        e_run, products, ee = self.sums(es)
        e1 = np.add.reduceat(e_run, self.run_cells)
        b = self.base
        k = b.k
        xe = np.empty((len(self.starts), k))
        xe[:, self.constant] = np.add.reduceat(self.x_runs * e_run[:, None], self.run_cells, axis=0)
        xe[:, self.varying] = products[:, :-1]
        me = products[:, -1]
        m1, n = b.yt1, b.n
        zz = b.zz.copy()
        zz[:, :k, k] += u[:, None] * b.xt1 + xe
        zz[:, k, :k] = zz[:, :k, k]
        zz[:, k, k] += 2 * u * m1 + 2 * me + n * u * u + 2 * u * e1 + ee
        sz = b.sz.copy()
        sz[:, k] += n * u + e1
        return replace(b, zz=zz, sz=sz)

    def sums(self, es):
        """e summed per run, e times each line of `rows` and e^2 summed per cell (es in cell order).

        A block of cells at a time, so that the products stay in the cache instead of a table of the
        rows' size; a cell's sum is the same reduction over the same values either way."""
        e_run = np.empty(len(self.runs))
        products = np.empty((len(self.starts), len(self.rows)))
        ee = np.empty(len(self.starts))
        width = max(end - first for first, end, *_ in self.blocks)
        buffer, squares = np.empty((len(self.rows), width)), np.empty(width)
        for first, end, c0, c1, r0, r1 in self.blocks:
            part, cells, size = es[first:end], self.starts[c0:c1] - first, end - first
            e_run[r0:r1] = np.add.reduceat(part, self.runs[r0:r1] - first)
            np.multiply(self.rows[:, first:end], part, out=buffer[:, :size])
            products[c0:c1] = np.add.reduceat(buffer[:, :size], cells, axis=1).T
            np.multiply(part, part, out=squares[:size])
            ee[c0:c1] = np.add.reduceat(squares[:size], cells)
        return e_run, products, ee


def cell_blocks(starts, runs, n_rows: int, block_rows: int) -> tuple:
    """Consecutive cells in blocks of about `block_rows` rows (a larger cell is a block of its own):
    (first row, end row, first cell, end cell, first run, end run) of each."""
    first_cells = np.flatnonzero(np.diff(starts // block_rows, prepend=-1))
    end_cells = np.r_[first_cells[1:], len(starts)]
    first_rows = starts[first_cells]
    end_rows = np.r_[first_rows[1:], n_rows]
    first_runs, end_runs = np.searchsorted(runs, first_rows), np.searchsorted(runs, end_rows)
    return tuple(
        tuple(int(v) for v in block)
        for block in zip(first_rows, end_rows, first_cells, end_cells, first_runs, end_runs)
    )


def network_dip(
    data: pd.DataFrame,
    df: int = 3,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    level: float = 0.95,
    min_partnerships: int = DEFAULT_MIN_PARTNERSHIPS,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
) -> dict:
    """Fit both models; return the curve and contrasts tables, the models.csv rows and the fits.
    `n_boot=0` skips the parametric bootstrap (its p-value is then missing)."""
    frame, knots = analysis_frame(data, df=df)
    pair = formulas(len(knots) - 1)
    fit_linear = fit_lmm(pair[0], frame)
    fit_spline = fit_lmm(pair[1], frame)
    lrt = likelihood_ratio(fit_linear, fit_spline, df=len(knots) - 2)
    if n_boot > 0 and hasattr(fit_linear, "sigma2"):
        lrt["bootstrap"] = bootstrap_lr(frame, pair, fit_linear, lrt["chi2"], n_boot, seed)
    curve = adjusted_curve(fit_spline, frame, knots, level, min_partnerships)
    contrasts = dip_contrasts(fit_spline, frame, knots, curve, level)
    curve = suppress_small(curve, ["estimate", "ci_low", "ci_high", "std_error"], "n", min_group_size)
    curve = curve[[c for c in curve.columns if c not in SURVIVOR_COLUMNS] + SURVIVOR_COLUMNS]
    rows = model_table(fit_linear, fit_spline, lrt, knots, level)
    return {
        "curve": curve,
        "contrasts": contrasts,
        "rows": rows,
        "lrt": lrt,
        "knots": knots,
        "fit_linear": fit_linear,
        "fit_spline": fit_spline,
        "n_obs": len(frame),
    }


def model_table(fit_linear, fit_spline, lrt: dict, knots, level: float = 0.95) -> pd.DataFrame:
    """Rows for results/interim/models/network_dip.csv in the models.csv format."""
    knot_text = ", ".join(f"{k:g}" for k in knots)
    n_groups = fit_spline.n_groups
    groups = ", ".join(f"{k}={int(v)}" for k, v in dict(n_groups).items()) if isinstance(n_groups, dict) else ""
    method = f"LMM ML, random intercepts partnership within region ({groups}); natural spline knots {knot_text}"
    test = extra_terms({"lrt_spline_vs_linear": lrt["chi2"]})
    test["p_value"] = lrt["p_value"]
    parts = [model_rows("network_dip", test, fit_spline.n_obs, n_groups, f"{method}; LR chi2 df={lrt['df']}")]
    boot = lrt.get("bootstrap")
    if boot is not None:
        row = extra_terms({"lrt_spline_vs_linear_bootstrap": lrt["chi2"]})
        row["p_value"] = boot["p_value"]
        parts.append(
            model_rows(
                "network_dip",
                row,
                fit_spline.n_obs,
                n_groups,
                f"{method}; LR df={lrt['df']}, parametric bootstrap from the linear model, "
                f"B={boot['n_boot']}, seed={boot['seed']}, "
                f"null 95th percentile {boot['null_q95']:.3f}",
            )
        )
    for fit, label, terms in [
        (fit_spline, "spline", SPLINE_TERMS[: len(knots) - 1]),
        (fit_linear, "linear", ["age_linear"]),
    ]:
        params, bse = _as_series(fit.params), _as_series(fit.bse, list(_as_series(fit.params).index))
        df = getattr(fit, "df", None)  # Satterthwaite df from nested_lmm (Amendment 1); z otherwise
        wt = wald_terms(params[terms], bse[terms], level, df=None if df is None else pd.Series(df)[terms])
        wt["term"] = [f"{label}:{t}" for t in terms]
        loglik = extra_terms({f"{label}:loglik": fit.loglik})
        converged = "" if fit.converged else f"; {NOT_CONVERGED}"
        test = "; t on Satterthwaite df" if df is not None else "; Wald z"
        parts.append(
            model_rows(
                "network_dip", pd.concat([wt, loglik]), fit.n_obs, n_groups, f"{method}; {label} model{converged}{test}"
            )
        )
    return pd.concat(parts, ignore_index=True)[MODEL_COLUMNS]


def write_curve(curve: pd.DataFrame, path) -> None:
    cols = CURVE_COLUMNS + [c for c in curve.columns if c not in CURVE_COLUMNS]
    write_table(curve[cols], path)


def write_contrasts(contrasts: pd.DataFrame, path) -> None:
    write_table(contrasts[CONTRAST_COLUMNS].astype({"significant": bool}), path)
