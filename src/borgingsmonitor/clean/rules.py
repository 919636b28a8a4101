"""Cleaning as named rules over the harmonised table, with a ledger of every raw row.

Each rule is a function `(table, settings) -> (mask, detail)` that marks the rows it excludes;
`detail` is read on the marked rows only, so a rule writes its text there and nowhere else (a
national table has a million rows and few exclusions). The rules run in the protocol's order; a
row caught by several rules is listed under the first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from borgingsmonitor.clean.details import SEPARATOR
from borgingsmonitor.clean.details import detail as detail_text
from borgingsmonitor.core.contracts import EXCLUSION_REASONS as REASONS
from borgingsmonitor.core.contracts import ISSUE_COLUMNS, TEST_MARKS
from borgingsmonitor.core.distinct import per_distinct
from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.questionnaire import Questionnaire
from borgingsmonitor.core.scales import score_scales
from borgingsmonitor.ingest.privacy import EMAIL, IPV4, PHONE, URL

EXCLUSION_COLUMNS = ["region", "wave", "source_file", "source_row", "reason", "detail"]
ROW_KEY = ["source_file", "source_row"]


@dataclass(frozen=True)
class CleaningSettings:
    fieldwork: dict  # region -> {wave (str or int): [first day, last day]}
    speeder_seconds: float = 60.0


def no_consent(t: pd.DataFrame, s: CleaningSettings):
    said_no = t["consent"].eq("no").fillna(False)
    unanswered = t["consent"].isna() & t["completed"].fillna(False)
    detail = pd.Series("", index=t.index).mask(said_no, detail_text("consent_no"))
    detail = detail.mask(unanswered, detail_text("consent_unanswered"))
    # A response that stopped before the consent question is `incomplete`, not `no_consent`.
    return (said_no | unanswered).astype(bool), detail


def incomplete(t: pd.DataFrame, s: CleaningSettings):
    return ~t["completed"].fillna(False).astype(bool), pd.Series(detail_text("not_completed"), index=t.index)


def duplicate(t: pd.DataFrame, s: CleaningSettings):
    """Same respondent key in one wave (across files and regions): the latest submission stays (the table
    holds only complete, consented rows by now). Rows without a key are never merged."""
    keyed = t[t["respondent_key"].notna()]
    order = keyed.sort_values(["submitted", "source_file", "source_row"], na_position="first", kind="stable")
    latest = order.groupby(["wave", "respondent_key"], sort=False).tail(1)
    mask = pd.Series(False, index=t.index)
    mask.loc[keyed.index.difference(latest.index)] = True
    detail = pd.Series("", index=t.index)
    dropped = t.loc[mask, ["wave", "respondent_key", "source_file"]]
    if len(dropped):
        candidates = latest[latest["respondent_key"].isin(dropped["respondent_key"].unique())]
        kept = dropped.merge(
            candidates[["wave", "respondent_key", "source_file", "source_row"]],
            on=["wave", "respondent_key"],
            how="left",
            suffixes=("", "_kept"),
            validate="many_to_one",
        )
        same = (kept["source_file_kept"] == kept["source_file"]).to_numpy()
        texts = [
            detail_text("later_kept_same_file", row=row) if one_file else detail_text("later_kept", file=file, row=row)
            for one_file, file, row in zip(
                same, kept["source_file_kept"].astype(str), kept["source_row"].astype("int64")
            )
        ]
        detail.loc[dropped.index] = texts
    return mask, detail


def test(t: pd.DataFrame, s: CleaningSettings):
    start, end = _windows(t, s)
    outside = t["submitted"].notna() & ((t["submitted"] < start) | (t["submitted"] >= end))
    detail = pd.Series("", index=t.index)
    for mark in TEST_MARKS:
        detail = detail.mask(t["test_marker"].eq(mark).fillna(False).astype(bool), detail_text(f"mark_{mark}"))
    window = detail_text("outside_window")
    detail[outside] = [f"{window}{SEPARATOR}{d}" if d else window for d in detail[outside]]  # both, when both hold
    return (outside | t["test_marker"].notna()).astype(bool), detail


def speeder(t: pd.DataFrame, s: CleaningSettings):
    fast = (t["duration_s"].notna() & (t["duration_s"] < s.speeder_seconds)).fillna(False).astype(bool)
    limit = f"{s.speeder_seconds:g}"
    detail = pd.Series("", index=t.index, dtype=object)
    detail[fast] = [detail_text("too_fast", seconds=f"{d:.0f}", limit=limit) for d in t.loc[fast, "duration_s"]]
    return fast, detail


def unknown_partnership(t: pd.DataFrame, s: CleaningSettings):
    unknown = t["partnership_id"].isna().astype(bool)
    texts = per_distinct(
        t.loc[unknown, "partnership_value"],
        lambda v: (
            detail_text("not_in_registry", answer=repr(echo(v))) if pd.notna(v) else detail_text("no_partnership")
        ),
    )
    detail = pd.Series("", index=t.index, dtype=object)
    detail[unknown] = texts.to_numpy()
    return unknown, detail


RULES = {name: globals()[name] for name in REASONS}


def echo(value, limit: int = 80) -> str:
    """A typed answer as the QC lists show it: no e-mail address, phone number, URL or IP, and short."""
    text = str(value)
    for pattern, mark in ((EMAIL, "[e-mail]"), (URL, "[url]"), (IPV4, "[ip]"), (PHONE, "[telefoon]")):
        text = pattern.sub(mark, text)
    return text[:limit]


def _windows(t: pd.DataFrame, s: CleaningSettings):
    cells = t[["region", "wave"]].drop_duplicates()
    starts, ends = [], []
    for region, wave in zip(cells["region"], cells["wave"]):
        window = s.fieldwork.get(region, {})
        days = window.get(str(wave)) or window.get(int(wave))
        if not days:
            raise InputError(
                "config",
                f"region {region!r} has responses for wave {wave} but no fieldwork window",
                column=f"regions.{region}.fieldwork",
                fix=f'add "{wave}": [first day, last day] under regions.{region}.fieldwork',
            )
        starts.append(pd.Timestamp(days[0]))
        ends.append(pd.Timestamp(days[1]) + pd.Timedelta(days=1))
    windows = cells.assign(
        _start=pd.Series(starts, index=cells.index, dtype="datetime64[us]"),
        _end=pd.Series(ends, index=cells.index, dtype="datetime64[us]"),
    )
    per_row = t[["region", "wave"]].merge(windows, on=["region", "wave"], how="left")
    return pd.Series(per_row["_start"].to_numpy(), index=t.index), pd.Series(per_row["_end"].to_numpy(), index=t.index)


# What the rules read. They run on these columns only, so a national table is copied once (the analysed
# rows at the end), not once per rule; a rule that reads another column must add it here.
RULE_COLUMNS = ["region", "wave", "source_file", "source_row", "submitted", "completed", "test_marker", "duration_s",
                "consent", "respondent_key", "partnership_id", "partnership_value"]  # fmt: skip


def apply_rules(table: pd.DataFrame, settings: CleaningSettings):
    """Run the rules in order on the rows still in; return (analysed rows, exclusions)."""
    remaining = table[[c for c in RULE_COLUMNS if c in table.columns]]
    excluded = []
    for reason, rule in RULES.items():
        if remaining.empty:
            break
        mask, detail = rule(remaining, settings)
        caught = remaining[mask]
        excluded.append(
            caught[["region", "wave", "source_file", "source_row"]].assign(reason=reason, detail=detail[mask].values)
        )
        remaining = remaining[~mask]
    exclusions = pd.concat(excluded, ignore_index=True) if excluded else pd.DataFrame(columns=EXCLUSION_COLUMNS)
    return table.loc[remaining.index], exclusions[EXCLUSION_COLUMNS]


def range_issues(table: pd.DataFrame, q: Questionnaire):
    """Numbers outside the questionnaire's range (400 hours a week) become missing and are listed."""
    out = table.copy()
    issues = []
    for code, question in q.questions.items():
        if code not in out.columns or question.range is None:
            continue
        low, high = question.range
        values = out[code]
        bad = values.notna() & ((values < low) | (values > high))
        if question.type == "integer":
            bad |= values.notna() & (values % 1 != 0)
        hit = bad.fillna(False).astype(bool)
        if hit.any():
            rows = out.loc[hit]
            v = values[hit].astype(float)
            issues.append(
                pd.DataFrame(
                    {
                        "region": rows["region"],
                        "wave": rows["wave"].astype(int),
                        "source_file": rows["source_file"],
                        "source_row": rows["source_row"].astype(int),
                        "column": code,
                        "problem": np.where((v >= low) & (v <= high), "not_an_integer", "out_of_range"),
                        "value": [f"{x:g}" for x in v],
                    }
                )
            )
        out[code] = values.mask(hit)
    issues = pd.concat(issues, ignore_index=True)[ISSUE_COLUMNS] if issues else pd.DataFrame(columns=ISSUE_COLUMNS)
    return out, issues


def attrition(table: pd.DataFrame, exclusions: pd.DataFrame, analysed: pd.DataFrame) -> pd.DataFrame:
    keys = ["region", "wave"]
    raw = table.groupby(keys).size().rename("raw_rows")
    reasons = exclusions.groupby(keys + ["reason"]).size().unstack("reason").reindex(columns=list(REASONS))
    kept = analysed.groupby(keys).size().rename("analysed")
    out = pd.concat([raw, reasons, kept], axis=1).fillna(0).astype("int64").reset_index()
    return out.sort_values(keys).reset_index(drop=True)


def row_keys(*frames: pd.DataFrame) -> list[np.ndarray]:
    """One integer per (source_file, source_row), the same integer for the same row in every frame:
    set operations on a million rows without a million tuples."""
    files = pd.factorize(pd.concat([f["source_file"] for f in frames], ignore_index=True), use_na_sentinel=False)[0]
    rows = np.concatenate([f["source_row"].to_numpy(dtype="int64") for f in frames])
    distinct_rows, row_codes = np.unique(rows, return_inverse=True)
    keys = files.astype("int64") * len(distinct_rows) + row_codes
    return np.split(keys, np.cumsum([len(f) for f in frames])[:-1])


def _distinct(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy's hash-based unique is ~10x slower on a million integers)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def check_ledger(
    table: pd.DataFrame, exclusions: pd.DataFrame, analysed: pd.DataFrame, attrition_table: pd.DataFrame
) -> None:
    """Every raw row is analysed or excluded, exactly once, per region and wave. Fails loudly otherwise."""
    accounted = pd.concat([exclusions[ROW_KEY], analysed[ROW_KEY]], ignore_index=True)
    raw_keys, accounted_keys = row_keys(table, accounted)
    twice = pd.Series(accounted_keys).duplicated().to_numpy()
    if twice.any():
        row = accounted[twice].iloc[0]
        raise AssertionError(
            f"ledger broken: {row['source_file']} row {row['source_row']} is both analysed and excluded"
        )
    if len(accounted) != len(table) or not np.array_equal(_distinct(accounted_keys), _distinct(raw_keys)):
        raise AssertionError("ledger broken: the analysed and excluded rows are not exactly the raw rows")
    sums = attrition_table[list(REASONS)].sum(axis=1) + attrition_table["analysed"]
    if not sums.eq(attrition_table["raw_rows"]).all():
        bad = attrition_table[~sums.eq(attrition_table["raw_rows"])].iloc[0]
        raise AssertionError(f"ledger broken for {bad['region']} {bad['wave']}: raw_rows != analysed + exclusions")


CLEAN_META = [
    "respondent_key",
    "region",
    "partnership_id",
    "wave",
    "source_file",
    "source_row",
    "role",
    "org_type",
    "phase",
    "years_involved",
    "fac_hours",
]


def clean_columns(q: Questionnaire) -> list[str]:
    """The clean data set's columns, in the order of the results contract."""
    return CLEAN_META + q.item_codes + list(q.scales) + ["partnership_age", "comment"]


def clean(
    table: pd.DataFrame,
    registry: pd.DataFrame,
    q: Questionnaire,
    settings: CleaningSettings,
    ingest_issues: pd.DataFrame | None = None,
):
    """The whole cleaning step: (responses, exclusions, attrition, value issues)."""
    table = table.sort_values(["region", "source_file", "source_row"], kind="stable").reset_index(drop=True)
    analysed, exclusions = apply_rules(table, settings)
    analysed, issues = range_issues(analysed, q)
    analysed = score_scales(analysed, q)
    starts = registry.set_index("partnership_id")["start_year"]
    analysed["partnership_age"] = (analysed["wave"] - analysed["partnership_id"].map(starts).astype("Int64")).astype(
        "Int64"
    )
    columns = clean_columns(q)
    responses = (
        analysed[columns]
        .sort_values(["region", "wave", "source_file", "source_row"], kind="stable")
        .reset_index(drop=True)
    )
    attrition_table = attrition(table, exclusions, responses)
    check_ledger(table, exclusions, responses, attrition_table)
    all_issues = pd.concat(
        [i for i in (ingest_issues, issues) if i is not None and not i.empty] or [pd.DataFrame(columns=ISSUE_COLUMNS)],
        ignore_index=True,
    )
    response_keys, issue_keys = row_keys(responses, all_issues)
    analysed_issue = np.isin(issue_keys, response_keys)
    all_issues = all_issues[analysed_issue].assign(
        value=lambda f: f["value"].map(lambda v: echo(v) if pd.notna(v) else v)
    )
    exclusions = exclusions.sort_values(["region", "wave", "source_file", "source_row"], kind="stable").reset_index(
        drop=True
    )
    all_issues = all_issues.sort_values(
        ["region", "wave", "source_file", "source_row", "column"], kind="stable"
    ).reset_index(drop=True)
    return responses, exclusions, attrition_table, all_issues[ISSUE_COLUMNS]
