"""Models declared in config (`models:`): check a declaration and fit it to the clean data.

A declaration is a mapping with
  name         model name in models.csv
  formula      patsy formula, e.g. "DUR ~ REL + FAC + PRO + ORG + C(wave)"
  family       gaussian | ordinal
  grouping     grouping columns, outer first: [region, partnership_id] (gaussian: nested random
               intercepts; ordinal: the last one is the cluster of the robust standard errors).
               nested_reml takes deeper nesting too: [region, partnership_id, wave] adds a random
               intercept per partnership-within-wave (levels region, partnership, partnership_wave)
  region_effect  gaussian nested_reml: random (default) | fixed (C(<outer>) in the formula, no
               region variance) | auto (fixed below RANDOM_REGIONS_FROM regions, random from it)
  decompose    gaussian nested_reml: {terms: [REL, ...], by: partnership_id}: each term enters as
               its group mean over the analysed rows (<term>_between) and the row's deviation from
               it (<term>_within), the hybrid (Mundlak) specification of protocol Amendment 1
  ddf          gaussian nested_reml: satterthwaite (default) | kenward_roger (REML only: Kenward-Roger's
               adjusted standard errors and df, as lmerTest's ddf = "Kenward-Roger")
  estimator    nested_reml | statsmodels_mixedlm (gaussian) | ordered_logit (ordinal, clustered SEs) |
               ordered_logit_mixed (ordinal, a random intercept for the last grouping column, as
               R's ordinal::clmm; logit link only)
  method       REML | ML (gaussian)
  standardise  z-score the response and the bare numeric predictors over the analysed rows
  distr        ordinal: logit | probit (default logit)
  cov_type     ordered_logit: cluster | nonrobust (default cluster)
  n_agq        ordered_logit_mixed: 1 = Laplace (default, clmm's), more = adaptive Gauss-Hermite nodes
  imputation   optional {m, seed, iterations, donors, auxiliary, categorical}: fit on m imputed
               data sets and pool with Rubin's rules
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from borgingsmonitor.core.contracts import NOT_CONVERGED, RANDOM_REGIONS_FROM
from borgingsmonitor.core.decompose import within_between
from borgingsmonitor.models import imputation, mixed, ordinal, ordinal_mixed
from borgingsmonitor.models.nested_lmm import DDF
from borgingsmonitor.models.table import difference_term, extra_terms, model_rows, wald_terms

FAMILIES = {"gaussian": {"nested_reml", "statsmodels_mixedlm"}, "ordinal": {"ordered_logit", "ordered_logit_mixed"}}
REQUIRED = ("name", "formula", "family", "grouping", "estimator")
IMPUTATION_DEFAULTS = {"m": 20, "seed": 20250, "iterations": 10, "donors": 5, "auxiliary": [], "categorical": ["wave"]}


def check_spec(spec: dict) -> dict:
    """The declaration with defaults filled in; ValueError naming the model and the problem."""
    name = spec.get("name", "<unnamed>")
    missing = [k for k in REQUIRED if k not in spec]
    if missing:
        raise ValueError(f"model {name}: missing key(s) {', '.join(missing)}")
    family, estimator = spec["family"], spec["estimator"]
    if family not in FAMILIES:
        raise ValueError(f"model {name}: family {family!r} is not one of {sorted(FAMILIES)}")
    if estimator not in FAMILIES[family]:
        raise ValueError(f"model {name}: estimator {estimator!r} does not fit family {family!r}")
    if "~" not in spec["formula"]:
        raise ValueError(f"model {name}: formula {spec['formula']!r} has no '~'")
    grouping = list(spec["grouping"])
    defaults = {
        "method": "REML",
        "standardise": False,
        "distr": "logit",
        "cov_type": "cluster",
        "n_agq": 1,
        "ddf": DDF[0],
    }
    out = {**defaults, "region_effect": "random", **spec, "grouping": grouping}
    deep = is_multilevel(out)
    if family == "gaussian" and len(grouping) < 2:
        raise ValueError(f"model {name}: gaussian models take grouping [outer, inner, ...], got {grouping}")
    if family == "gaussian" and len(grouping) > 2 and estimator != "nested_reml":
        raise ValueError(f"model {name}: more than two grouping levels need estimator nested_reml")
    if deep and (estimator != "nested_reml" or spec.get("imputation")):
        raise ValueError(f"model {name}: decompose, region_effect and ddf need nested_reml without imputation")
    if estimator == "ordered_logit_mixed" and (spec.get("distr", "logit") != "logit" or spec.get("imputation")):
        raise ValueError(f"model {name}: ordered_logit_mixed takes the logit link and no imputation")
    if out["region_effect"] not in ("random", "fixed", "auto"):
        raise ValueError(f"model {name}: region_effect must be random, fixed or auto")
    if out["ddf"] not in DDF:
        raise ValueError(f"model {name}: ddf must be one of {', '.join(DDF)}")
    if out["ddf"] == "kenward_roger" and out["method"] != "REML":
        raise ValueError(f"model {name}: ddf kenward_roger needs method REML")
    if out.get("decompose") is not None:
        out["decompose"] = _check_decompose(name, out["decompose"], grouping)
    if out.get("imputation") is not None:
        out["imputation"] = {**IMPUTATION_DEFAULTS, **out["imputation"]}
    return out


def _check_decompose(name: str, decompose: dict, grouping: list[str]) -> dict:
    out = {"by": grouping[1], **decompose}
    if out["by"] not in grouping[1:]:
        raise ValueError(f"model {name}: decompose.by must be an inner grouping column, got {out['by']!r}")
    if not out.get("terms"):
        raise ValueError(f"model {name}: decompose needs terms")
    return {"by": out["by"], "terms": list(out["terms"])}


def reverse_key(data: pd.DataFrame, reverse_items: list[str], top: int = 5) -> pd.DataFrame:
    """Reverse-keyed items as 1..top in the scale's direction (a model may use an item as response)."""
    out = data.copy()
    for code in reverse_items:
        if code in out:
            out[code] = (top + 1) - out[code]
    return out


def fit_declared(spec: dict, data: pd.DataFrame, reverse_items: list[str] = ()) -> pd.DataFrame:
    """models.csv rows of one declared model fitted to `data` (the clean responses)."""
    spec = check_spec(spec)
    data = reverse_key(data, list(reverse_items))
    if spec.get("imputation"):
        return fit_imputed(spec, data)
    if spec["family"] == "ordinal":
        return fit_ordinal_spec(spec, data)
    return fit_mixed_spec(spec, data)


def columns_used(spec: dict, available: list[str]) -> list[str]:
    """The columns of the clean responses a declared model reads: its formula's variables, its grouping
    and its imputation's auxiliaries. A job reads only these (at a million rows the whole table is
    gigabytes in memory)."""
    spec = check_spec(spec)
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", spec["formula"])) | set(spec["grouping"])
    names |= set((spec.get("decompose") or {}).get("terms", ()))
    opts = spec.get("imputation") or {}
    names |= set(opts.get("auxiliary", ())) | set(opts.get("categorical", ()))
    return [c for c in available if c in names]


def analysed_rows(spec: dict, data: pd.DataFrame) -> pd.DataFrame:
    rows = mixed.complete_rows(spec["formula"], data, spec["grouping"])
    if spec["standardise"]:
        rows = mixed.standardise(rows, mixed.numeric_plain_terms(spec["formula"], rows))
    return rows


def mixed_fitter(spec: dict):
    if spec["estimator"] == "nested_reml" and mixed.nested_reml_available():
        return mixed.fit_nested_reml, ""
    if spec["estimator"] == "nested_reml":
        return mixed.fit_statsmodels_mixed, "nested_lmm not installed, fell back to statsmodels; "
    return mixed.fit_statsmodels_mixed, ""


def _fit_mixed(spec, rows):
    fitter, note = mixed_fitter(spec)
    outer, inner = spec["grouping"]
    fit = fitter(spec["formula"], rows, region=outer, partnership=inner, method=spec["method"])
    return fit, note


DDF_TEXT = {
    "satterthwaite": "t CI and p on Satterthwaite df",
    "kenward_roger": "Kenward-Roger adjusted SE, t CI and p on Kenward-Roger df",
}


def _method_text(spec, fit_method, note, n_groups, df=None):
    text = note + fit_method
    if spec["standardise"]:
        text += "; standardised (z-scores over the analysed rows)"
    test = DDF_TEXT[spec["ddf"]] if df is not None else "Wald z CI"
    return f"{text}; {_groups_text(n_groups)}; {test}"


def is_multilevel(spec: dict) -> bool:
    """Deeper nesting, a decomposition, a non-random region or Kenward-Roger: the general nested_reml path."""
    return (
        len(spec["grouping"]) > 2
        or bool(spec.get("decompose"))
        or spec["region_effect"] != "random"
        or spec["ddf"] != "satterthwaite"
    )


def fit_mixed_spec(spec: dict, data: pd.DataFrame) -> pd.DataFrame:
    if is_multilevel(spec):
        return fit_multilevel_spec(spec, data)
    rows = analysed_rows(spec, data)
    fit, note = _fit_mixed(spec, rows)
    outer, inner = spec["grouping"]
    terms = pd.concat(
        [wald_terms(fit.params, fit.bse, df=fit.df), extra_terms(mixed.variance_summary(fit, rows, outer, inner))],
        ignore_index=True,
    )
    method = _method_text(spec, fit.method, note, fit.n_groups, fit.df)
    return model_rows(spec["name"], terms, fit.n_obs, fit.n_groups, method)


# names of the levels below the partnership in models.csv (var_<name>); others: partnership_<column>
INNER_LEVEL_NAMES = {"wave": "partnership_wave", "respondent_key": "respondent"}


def level_names(grouping: list[str]) -> list[str]:
    """region, partnership, then partnership_wave / respondent (or partnership_<column>) below."""
    return ["region", "partnership"] + [INNER_LEVEL_NAMES.get(c, f"partnership_{c}") for c in grouping[2:]]


def region_is_random(spec: dict, n_regions: int) -> bool:
    if spec["region_effect"] == "auto":
        return n_regions >= RANDOM_REGIONS_FROM
    return spec["region_effect"] == "random"


def decompose_formula(formula: str, terms: list[str]) -> str:
    """Each bare term on the right-hand side -> (<term>_between + <term>_within)."""
    lhs, rhs = formula.split("~", 1)
    for term in terms:
        bare = rf"(?<![A-Za-z0-9_.])(?<!C\(){re.escape(term)}(?![A-Za-z0-9_.])"
        rhs = re.sub(bare, f"({term}_between + {term}_within)", rhs)
    return f"{lhs}~{rhs}"


def add_decomposition(rows: pd.DataFrame, decompose: dict, grouping: list[str]) -> pd.DataFrame:
    """<term>_between = the group's mean over the analysed rows, <term>_within = row - that mean."""
    return within_between(rows, decompose["terms"], grouping[: grouping.index(decompose["by"]) + 1])


def fit_multilevel_spec(spec: dict, data: pd.DataFrame) -> pd.DataFrame:
    """A nested_reml model with any depth of nesting, a fixed or random region and (optionally)
    the between/within decomposition; t tests on Satterthwaite or Kenward-Roger df (`ddf`)."""
    from borgingsmonitor.models import nested_lmm as nl

    grouping = spec["grouping"]
    rows = analysed_rows(spec, data)
    formula = spec["formula"]
    if spec.get("decompose"):
        rows = add_decomposition(rows, spec["decompose"], grouping)
        formula = decompose_formula(formula, spec["decompose"]["terms"])
    n_regions = rows[grouping[0]].nunique()
    random_region = region_is_random(spec, n_regions)
    if not random_region:
        formula = f"{formula} + C({grouping[0]})"
    names = level_names(grouping)
    levels = dict(zip(names, grouping))
    random = [random_region] + [True] * (len(grouping) - 1)
    res = nl.fit_nested_lmm(formula, rows, levels=levels, random=random, method=spec["method"], ddf=spec["ddf"])
    summary = {f"var_{k}": v for k, v in res.sigma2.items()}
    total = sum(res.sigma2.values())
    summary.update({f"icc_{k}": v / total for k, v in res.sigma2.items() if k != "residual"})
    summary["loglik"] = res.loglik
    differences = between_differences(res, spec["decompose"]["terms"]) if spec.get("decompose") else None
    terms = pd.concat(
        [wald_terms(res.params, res.bse, df=res.df), differences, extra_terms(summary)], ignore_index=True
    )
    # n_groups: the partnerships, the clusters the between effects rest on; all counts in the text
    n_groups = {k: v for k, v in res.n_groups.items() if k != "partnership"}
    n_groups["partnership"] = res.n_groups["partnership"]
    region_text = (
        f"region random ({n_regions} regions)"
        if random_region
        else f"region fixed, C({grouping[0]}) ({n_regions} regions"
        + (f" < {RANDOM_REGIONS_FROM})" if spec["region_effect"] == "auto" else ", declared fixed)")
    )
    text = (
        f"{spec['method'].upper()}; borgingsmonitor.nested_lmm"
        + ("" if res.converged else f" ({NOT_CONVERGED})")
        + f"; random intercepts {', '.join(n for n, r in zip(names, random) if r)}; {region_text}"
    )
    if spec.get("decompose"):
        d = spec["decompose"]
        text += f"; {', '.join(d['terms'])} split into {d['by']} means (_between) and deviations (_within)"
    return model_rows(spec["name"], terms, res.n_obs, n_groups, _method_text(spec, text, "", n_groups, res.df))


def between_differences(res, names: list[str]) -> pd.DataFrame | None:
    """difference:<a>_between-<b>_between for each pair of split terms (declared order): estimate,
    SE and a t interval and p on the contrast's df (Satterthwaite or Kenward-Roger, as the fit's),
    from the fit's covariance (which models.csv does not carry: the report's "most strongly related"
    needs these rows)."""
    cols = list(res.params.index)
    between = [f"{n}_between" for n in names if f"{n}_between" in cols]
    pairs = [(a, b) for i, a in enumerate(between) for b in between[i + 1 :]]
    if not pairs:
        return None
    L = np.zeros((len(pairs), len(cols)))
    for row, (a, b) in enumerate(pairs):
        L[row, cols.index(a)], L[row, cols.index(b)] = 1.0, -1.0
    labels = [difference_term(a, b) for a, b in pairs]
    estimate = pd.Series(L @ res.params.to_numpy(float), index=labels)
    se = pd.Series(np.sqrt(np.einsum("ri,ij,rj->r", L, res.cov_params.to_numpy(float), L)), index=labels)
    return wald_terms(estimate, se, df=pd.Series(res.contrast_df(L), index=labels))


def fit_ordinal_spec(spec: dict, data: pd.DataFrame) -> pd.DataFrame:
    if spec["estimator"] == "ordered_logit_mixed":
        return fit_ordinal_mixed_spec(spec, data)
    cluster = spec["grouping"][-1] if spec["cov_type"] == "cluster" else None
    rows = analysed_rows(spec, data)
    fit = ordinal.fit_ordinal(spec["formula"], rows, cluster=cluster, distr=spec["distr"])
    return model_rows(spec["name"], fit.terms, fit.n_obs, fit.n_groups, fit.method)


def fit_ordinal_mixed_spec(spec: dict, data: pd.DataFrame) -> pd.DataFrame:
    """Cumulative logit with a random intercept for the last grouping column; a fit that does not
    converge is written with its estimates and says so in `method`."""
    group = spec["grouping"][-1]
    rows = analysed_rows(spec, data)
    level = "partnership" if group == "partnership_id" else group  # the row sd_partnership, as var_partnership
    terms, fit = ordinal_mixed.fit_terms(spec["formula"], rows, group, int(spec["n_agq"]), level)
    return model_rows(spec["name"], terms, fit.n_obs, fit.n_groups, ordinal_mixed.method_text(fit, level))


def imputation_base(spec: dict, data: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rows to impute (grouping and categorical columns present, some imputed variable observed)
    and the columns to impute: the formula's numeric variables and the auxiliaries."""
    opts = spec["imputation"]
    variables = mixed.formula_variables(spec["formula"], data)
    numeric = mixed.numeric_plain_terms(spec["formula"], data)
    impute = numeric + [a for a in opts["auxiliary"] if a not in numeric]
    keep = list(dict.fromkeys(variables + spec["grouping"] + impute + list(opts["categorical"])))
    base = mixed.plain_dtypes(data[keep]).dropna(subset=[c for c in keep if c not in impute])
    return base.dropna(subset=impute, how="all").reset_index(drop=True), impute


def fit_imputed(spec: dict, data: pd.DataFrame) -> pd.DataFrame:
    """Impute, fit the model to every completed copy, pool with Rubin's rules.

    Rows: the pooled fixed effects (t intervals on Barnard-Rubin df), then per fixed effect its
    df (`df_barnard_rubin:<term>`) and share of variance due to missingness (`lambda:<term>`), then
    the variance rows averaged over the imputations.
    """
    if spec["family"] != "gaussian":
        raise ValueError(f"model {spec['name']}: imputation is implemented for gaussian models only")
    opts = spec["imputation"]
    outer, inner = spec["grouping"]
    base, impute = imputation_base(spec, data)
    copies = imputation.impute_arrays(
        base,
        impute,
        list(opts["categorical"]),
        inner,
        m=int(opts["m"]),
        seed=int(opts["seed"]),
        iterations=int(opts["iterations"]),
        donors=int(opts["donors"]),
    )
    numeric = mixed.numeric_plain_terms(spec["formula"], base)
    fits, summaries, methods = [], [], set()
    fitter, sizes = None, None
    for values in copies:
        rows = base.copy()
        rows[impute] = values
        rows = mixed.standardise(rows, numeric) if spec["standardise"] else rows
        fitter = fitter or _copy_fitter(spec, rows, impute)
        sizes = sizes or mixed.cluster_sizes(rows, outer, inner)  # the copies differ only in `impute`
        fit, note = fitter(rows)
        fits.append(fit)
        summaries.append(mixed.variance_rows(fit, sizes))
        methods.add(note + _estimator_name(fit.method))
    pooled = imputation.rubin_pool([f.params for f in fits], [f.bse**2 for f in fits], len(base) - len(fits[0].params))
    averaged = pd.DataFrame(summaries).drop(columns="loglik").mean().to_dict()
    diagnostics = {f"df_barnard_rubin:{t}": v for t, v in zip(pooled["term"], pooled["df"])}
    diagnostics.update({f"lambda:{t}": v for t, v in zip(pooled["term"], pooled["lambda"])})
    terms = pd.concat([pooled, extra_terms(diagnostics), extra_terms(averaged)], ignore_index=True)
    n_missing = int(base[impute].isna().any(axis=1).sum())
    method = (
        f"{spec['method'].upper()}; {'/'.join(sorted(methods))}; multiple imputation m={opts['m']} seed={opts['seed']} "
        f"(chained equations, PMM on scale scores, {n_missing} rows with a missing value); Rubin's rules, "
        f"Barnard-Rubin df t CI; variance rows averaged over imputations; {_groups_text(fits[0].n_groups)}"
    )
    return model_rows(spec["name"], terms, len(base), fits[0].n_groups, method)


def _copy_fitter(spec: dict, rows: pd.DataFrame, impute: list[str]):
    """fit(rows) -> (MixedFit, note) for the completed copies, which differ only in `impute`.

    With nested REML and a formula that uses the imputed variables only as bare columns, the
    design matrix and the partnership layout are built once and each copy costs one pass for the
    per-partnership statistics (the same numbers as `mixed.fit_nested_reml` on the copy);
    otherwise every copy goes through `_fit_mixed`.
    """
    fitter, note = mixed_fitter(spec)
    fast = _NestedCopies.build(spec, rows, impute) if fitter is mixed.fit_nested_reml else None
    if fast is None:
        return lambda copy: _fit_mixed(spec, copy)
    return lambda copy: (fast.fit(copy), note)


class _NestedCopies:
    def __init__(self, spec, y_name, X, varying, stats, order, starts):
        self.spec, self.y_name, self.varying = spec, y_name, varying
        self.stats, self.order, self.starts = stats, order, starts
        # rows in partnership order, with the response last; the fixed columns are filled once,
        # the response and the varying columns are overwritten by every copy
        self.Zs = np.column_stack([X[order], np.zeros(len(order))])

    @classmethod
    def build(cls, spec, rows, impute):
        from borgingsmonitor.models import nested_lmm as nl
        from borgingsmonitor.models.design import design_matrices

        outer, inner = spec["grouping"]
        factors = {
            c: pd.Categorical(rows[c]) for c in re.findall(r"C\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)", spec["formula"])
        }
        sub = rows.assign(**factors)
        y, X = design_matrices(spec["formula"], sub)
        y_name = y.columns[0]
        varying = {}
        for term, cols in X.design_info.term_slices.items():
            codes = [f.code.strip() for f in term.factors]
            if not any(set(mixed.names_in(code)) & set(impute) for code in codes):
                continue
            if len(codes) != 1 or codes[0] not in impute:
                return None
            varying[codes[0]] = cols.start
        if y_name not in rows.columns:
            return None
        stats = nl.partnership_stats(rows[y_name].to_numpy(float), X, rows[outer].to_numpy(), rows[inner].to_numpy())
        r_codes = pd.factorize(np.asarray(rows[outer], dtype=object), sort=True)[0]
        p_codes, p_labels = pd.factorize(np.asarray(rows[inner], dtype=object), sort=True)
        inverse = np.unique(r_codes.astype(np.int64) * len(p_labels) + p_codes, return_inverse=True)[1]
        order = np.argsort(inverse, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(inverse))[:-1]])
        return cls(spec, y_name, X.to_numpy(dtype=float), varying, stats, order, starts)

    def fit(self, rows) -> mixed.MixedFit:
        from borgingsmonitor.models import nested_lmm as nl

        outer, inner = self.spec["grouping"]
        Zs = self.Zs
        Zs[:, -1] = rows[self.y_name].to_numpy(float)[self.order]
        for col, j in self.varying.items():
            Zs[:, j] = rows[col].to_numpy(float)[self.order]
        ends = np.r_[self.starts[1:], len(Zs)]
        zz = np.stack([Zs[s:e].T @ Zs[s:e] for s, e in zip(self.starts, ends)])
        stats = replace(self.stats, zz=zz, sz=np.add.reduceat(Zs, self.starts, axis=0))
        res = nl.fit_from_stats(stats, method=self.spec["method"], ddf=None)  # Barnard-Rubin df instead
        return mixed.from_nested_result(res, outer, inner, self.spec["method"])


def _groups_text(n_groups: dict) -> str:
    return "groups " + ", ".join(f"{k}={int(v)}" for k, v in n_groups.items())


def _estimator_name(method: str) -> str:
    text = method.split(";")[1].strip() if ";" in method else method
    return "statsmodels MixedLM" if "MixedLM" in text else text


def fit_all(specs: list[dict], data: pd.DataFrame, reverse_items: list[str] = ()) -> pd.DataFrame:
    return pd.concat([fit_declared(s, data, reverse_items) for s in specs], ignore_index=True)
