"""From one raw export to rows of the harmonised table, with privacy applied at the door.

Only fields the config maps survive; everything else (names, e-mails, IPs, locations, tokens,
tool response ids) is dropped here. The respondent identity becomes a keyed hash, free text is
scrubbed, and a response without consent keeps only its file, row and consent answer.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from borgingsmonitor.core.contracts import COMMENT_MAX_CHARS, ISSUE_COLUMNS
from borgingsmonitor.core.distinct import Distinct, per_distinct, per_distinct_many
from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.labels import LabelSet, apply_label_set, apply_label_set_block, is_blank, normalise_label
from borgingsmonitor.core.questionnaire import Questionnaire
from borgingsmonitor.core.registry import PartnershipResolver
from borgingsmonitor.ingest import ADAPTERS, RawExport
from borgingsmonitor.ingest.dates import read_dates
from borgingsmonitor.ingest.privacy import normalise_identity, respondent_key, safe_value, scrub_texts
from borgingsmonitor.ingest.sources import FileUnit, Marker, SourceSettings
from borgingsmonitor.ingest.testmarks import EMAIL_COLUMNS, NAME_COLUMNS, find_test_marks

log = logging.getLogger(__name__)

CHOICE_QUESTIONS = ("role", "org_type", "phase")
NUMBER_QUESTIONS = ("years_involved", "fac_hours")
LIKERT_SCALE = (1, 2, 3, 4, 5)
NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


@dataclass
class Context:
    questionnaire: Questionnaire
    label_sets: dict[str, LabelSet]
    registry: pd.DataFrame
    secret: bytes
    scrub_names: tuple[str, ...] = ()
    use_deduce: bool = True


@dataclass
class Harmonised:
    table: pd.DataFrame
    issues: pd.DataFrame
    used: dict[str, str] = field(default_factory=dict)  # column -> what it was read for
    unmapped: dict[str, int] = field(default_factory=dict)  # column the config does not map -> its non-empty cells
    metadata: list[str] = field(default_factory=list)  # the tool's own columns, not used


def default_label_sets(q: Questionnaire) -> dict[str, dict]:
    """Label sets the questionnaire itself implies (its Dutch and English texts)."""
    likert = {"values": {i + 1: [nl, en] for i, (nl, en) in enumerate(zip(q.likert_labels_nl, q.likert_labels_en))}}
    likert["missing"] = ["Weet niet / n.v.t.", "Don't know / not applicable"]
    sets = {"likert": likert, "consent": {"values": {"yes": ["Ja", "Yes"], "no": ["Nee", "No"]}}}
    for code in CHOICE_QUESTIONS:
        question = q.questions[code]
        en = question.options_en or question.options_nl
        sets[code] = {"values": {nl: [nl, e] for nl, e in zip(question.options_nl, en)}}
    return sets


def build_label_sets(q: Questionnaire, configured: dict | None) -> dict[str, LabelSet]:
    """The questionnaire's label sets, extended by (or, for new names, added from) the config."""
    specs = default_label_sets(q)
    for name, spec in (configured or {}).items():
        base = specs.get(name, {"values": {}, "missing": []})
        values = {k: list(v) for k, v in base.get("values", {}).items()}
        for key, variants in spec.get("values", {}).items():
            target = next((k for k in values if str(k) == str(key)), key)
            values[target] = values.get(target, []) + list(variants)
        specs[name] = {"values": values, "missing": list(base.get("missing", [])) + list(spec.get("missing", []))}
    return {name: LabelSet.from_config(name, spec) for name, spec in specs.items()}


def harmonise_file(unit: FileUnit, raw: RawExport, ctx: Context, region_spec: dict) -> Harmonised:
    s = unit.settings
    adapter = ADAPTERS[s.tool]
    q = ctx.questionnaire
    cols = _resolve_columns(unit, raw, ctx, adapter)
    data = raw.data
    # the columns in order, made into one table at the end (a column added to a table at a time
    # costs more than its values at a few thousand rows)
    out: dict = {
        "region": unit.region,
        "wave": _waves(unit, raw),
        "source_file": unit.path,
        "source_row": pd.Series(data.index.astype("int64"), index=data.index),
        "tool": s.tool,
    }
    issues: list[dict] = []
    unknown: dict[str, Counter] = {}
    first_row: dict[str, int] = {}

    submitted = _datetimes(unit, raw, cols.get("submitted"))
    started = _datetimes(unit, raw, cols.get("started"))
    out["submitted"] = submitted
    out["completed"] = _completed(raw, s.fields.completed or adapter.defaults.completed).astype("boolean")
    tool_test = s.fields.test or adapter.defaults.test
    names, emails = _identity_columns(raw, s, cols)
    comment_column = data[cols["comment"]] if "comment" in cols else None
    out["test_marker"] = find_test_marks(
        data.index,
        s.test_marks,
        _test_marker(raw, tool_test),
        comment_column,
        [data[c] for c in names],
        [data[c] for c in emails],
    )
    out["duration_s"] = adapter.duration_seconds(raw, cols.get("duration"), started, submitted).astype("Float64")

    consent, unk, mask = apply_label_set(data[cols["consent"]], ctx.label_sets[s.label_set("consent")])
    _collect(unknown, first_row, cols["consent"], unk, mask)
    out["consent"] = consent.astype("string")

    out["respondent_key"] = _keys(data, cols, s, ctx.secret)

    part_col = cols["partnership"]
    answered = per_distinct(data[part_col], lambda v: None if is_blank(v) else str(v).strip()).astype("string")
    resolver = PartnershipResolver(ctx.registry, region_spec["registry_region"], s.partnership_aliases)
    out["partnership_id"] = resolver.resolve(answered).astype("string")
    out["partnership_value"] = _quoted(answered.where(out["partnership_id"].isna()), ctx).astype(
        "string"
    )  # explains exclusions

    for code in CHOICE_QUESTIONS:
        if code in cols:
            values, unk, mask = apply_label_set(data[cols[code]], ctx.label_sets[s.label_set(code)])
            _collect(unknown, first_row, cols[code], unk, mask)
            issues += _unknown_issues(unit, out, mask, data[cols[code]], code)
            out[code] = values.astype("string")
        else:
            out[code] = pd.Series(pd.NA, index=data.index, dtype="string")

    for code in NUMBER_QUESTIONS:
        values, bad = _numbers(data[cols[code]]) if code in cols else (pd.Series(float("nan"), index=data.index), None)
        if bad is not None and bad.any():
            issues += _issue_rows(unit, out, bad, code, "not_a_number", data[cols[code]])
        out[code] = values.astype("Float64")

    likert = ctx.label_sets[s.label_set("likert")]
    issues += _likert_items(unit, raw, {item: cols[item] for item in q.item_codes}, likert, out, unknown, first_row)

    if unknown and s.unknown_labels == "error":
        raise _unknown_label_error(unit, unknown, first_row, s)

    if "comment" in cols:
        comments, too_long = _capped(data[cols["comment"]])
        if too_long.any():
            issues += _issue_rows(
                unit,
                out,
                too_long,
                "comment",
                "too_long",
                data[cols["comment"]].map(lambda v: f"{len(str(v))} characters"),
            )
        out["comment"] = per_distinct_many(
            comments, lambda texts: scrub_texts(texts, ctx.scrub_names, ctx.use_deduce)
        ).astype("string")
    else:
        out["comment"] = pd.Series(pd.NA, index=data.index, dtype="string")
    table, issues_frame = _drop_without_consent(out, data.index, pd.DataFrame(issues, columns=ISSUE_COLUMNS))
    issues_frame["value"] = _quoted(issues_frame["value"], ctx)
    used = _uses(raw, s, cols, tool_test, names, emails)
    unused = [c for c in data.columns if c not in used]
    metadata = [c for c in unused if adapter.is_metadata(c, data.columns)]
    unmapped = {c: int((~per_distinct(data[c], is_blank).astype(bool)).sum()) for c in unused if c not in metadata}
    return Harmonised(table.reset_index(drop=True), issues_frame, used, unmapped, metadata)


def _likert_items(unit: FileUnit, raw: RawExport, columns: dict, likert: LabelSet, out: dict, unknown, first_row):
    """The Likert items (code -> column) as one block, their distinct answers looked up once: each item
    into `out` as Int64, its unknown labels collected, and their issue rows returned."""
    data = raw.data
    answers = [_dont_know_to_blank(data[column], raw.dont_know.get(column)) for column in columns.values()]
    block = apply_label_set_block(answers, likert)
    issues = []
    for j in np.flatnonzero(block.unknown.any(axis=1)):
        code, column = list(columns.items())[j]
        mask = pd.Series(block.unknown[j], index=data.index)
        _collect(unknown, first_row, column, block.counts[j], mask)
        issues += _unknown_issues(unit, out, mask, answers[j], code)
    _check_scale(unit, block.numbers, list(columns.values()), likert, data.index)
    blank = np.isnan(block.numbers)
    whole = np.where(blank, 0, block.numbers).astype("int64")
    for j, code in enumerate(columns):
        out[code] = pd.Series(pd.arrays.IntegerArray(whole[j], blank[j]), index=data.index)
    return issues


def _check_scale(unit: FileUnit, numbers: np.ndarray, columns: list, likert: LabelSet, index: pd.Index) -> None:
    outside = ~np.isnan(numbers) & ~np.isin(numbers, LIKERT_SCALE)
    if not outside.any():
        return
    j = int(np.flatnonzero(outside.any(axis=1))[0])
    row = int(np.flatnonzero(outside[j])[0])
    raise InputError(
        unit.path,
        f"label set {likert.name!r} maps an answer to {numbers[j, row]}, outside 1-5",
        column=columns[j],
        row=int(index[row]),
        fix="map Likert labels to 1..5 in the config",
    )


def _capped(values: pd.Series):
    """Comments cut at COMMENT_MAX_CHARS (before scrubbing: a 1 MB text is no comment), and which were cut."""
    too_long = per_distinct(values, lambda v: not is_blank(v) and len(str(v)) > COMMENT_MAX_CHARS).astype(bool)
    return values.mask(too_long, values[too_long].map(lambda v: str(v)[:COMMENT_MAX_CHARS])), too_long


def _identity_columns(raw: RawExport, s: SourceSettings, cols: dict) -> tuple[list[str], list[str]]:
    """The name and e-mail columns read for test marks (then dropped with everything unmapped)."""
    names = _all_found(raw, NAME_COLUMNS + s.test_marks.name_columns)
    emails = _all_found(raw, EMAIL_COLUMNS + s.test_marks.email_columns)
    if "respondent_id" in cols and cols["respondent_id"] not in emails:
        emails.append(cols["respondent_id"])  # a token is never an address; an e-mail identity is
    return names, emails


def _all_found(raw: RawExport, refs) -> list[str]:
    found = []
    for ref in refs:
        column = _find(raw, ref)
        if column is not None and column not in found:
            found.append(column)
    return found


def _uses(
    raw: RawExport, s: SourceSettings, cols: dict, tool_test: Marker | None, names: list, emails: list
) -> dict[str, str]:
    """Each column read, and what for (the ingest log and results/qc/unmapped_columns.csv)."""
    used: dict[str, list[str]] = {}

    def add(column, use):
        if column is not None:
            used.setdefault(column, []).append(use)

    for code, column in cols.items():
        add(column, code)
    add(_find(raw, s.wave_column) if s.wave_column else None, "wave")
    completed = s.fields.completed or ADAPTERS[s.tool].defaults.completed
    if isinstance(completed, Marker):
        add(_first(raw, completed.columns), "completed")
    for ref in tool_test.columns if tool_test else ():
        add(_find(raw, ref), "test (tool)")
    for column in names:
        add(column, "test mark (name)")
    for column in emails:
        add(column, "test mark (e-mail)")
    return {column: ", ".join(uses) for column, uses in used.items()}


def _quoted(values: pd.Series, ctx: Context) -> pd.Series:
    """Typed text a QC table quotes (an unknown partnership, an invalid value), scrubbed as comments
    are (contact details, the config's names, deduce) and capped."""

    def scrub(texts):
        texts = [None if is_blank(t) else t for t in texts]
        return [None if t is None else safe_value(t) for t in scrub_texts(texts, ctx.scrub_names, ctx.use_deduce)]

    return per_distinct_many(values, scrub)


def _keys(data: pd.DataFrame, cols: dict, s: SourceSettings, secret: bytes) -> pd.Series:
    """Keyed pseudonyms; a respondent the tool could not identify gets none (and is never merged)."""
    if "respondent_id" not in cols:
        return pd.Series(pd.NA, index=data.index, dtype="string")
    anonymous = {normalise_identity(v) for v in s.anonymous_values}

    def key(value):
        identity = normalise_identity(value)
        return None if identity is None or identity in anonymous else respondent_key(identity, secret)

    return per_distinct(data[cols["respondent_id"]], key).astype("string")


def _resolve_columns(unit: FileUnit, raw: RawExport, ctx: Context, adapter) -> dict[str, str]:
    s = unit.settings
    cols: dict[str, str] = {}
    for name in ("submitted", "started", "duration"):
        ref = getattr(s.fields, name)
        found = _find(raw, ref) if ref else _first(raw, getattr(adapter.defaults, name))
        if ref and found is None:
            raise _missing_column(unit, ref, f"fields.{name}")
        if found is not None:
            cols[name] = found
    if s.fields.respondent_id:
        found = _find(raw, s.fields.respondent_id)
        if found is None:
            raise _missing_column(unit, s.fields.respondent_id, "fields.respondent_id")
        cols["respondent_id"] = found
    q = ctx.questionnaire
    wording = {i.code: (i.nl, i.en) for i in q.items} | {c: (x.nl, x.en) for c, x in q.questions.items()}
    names = _normalised_names(raw) if s.items_by_wording or s.questions_by_wording else {}
    for group, codes in (("items", q.item_codes), ("questions", list(q.questions))):
        mapping = getattr(s, group)
        by_wording = getattr(s, f"{group}_by_wording")
        for code in codes:
            ref = mapping.get(code)
            if ref:
                found = _find(raw, ref)
                if found is None:
                    raise _missing_column(unit, ref, f"{group}.{code}")
            elif by_wording:
                found = _find_by_wording(unit, names, wording[code])
            else:
                found = None
            if found is not None:
                cols[code] = found
    required = q.item_codes + ["consent", "partnership"]
    missing = [c for c in required if c not in cols]
    if missing:
        raise InputError(
            unit.path,
            f"no column is mapped for {', '.join(missing)}",
            column=missing[0],
            fix=f"map them under `items:`/`questions:` for this source (regions.{unit.region}), or set items_by_wording/questions_by_wording",
        )
    return cols


def _find(raw: RawExport, ref: str) -> str | None:
    if ref in raw.data.columns:
        return ref
    if ref in raw.aliases:
        return raw.aliases[ref]
    target = normalise_label(ref)
    for col in raw.data.columns:
        if normalise_label(col) == target:
            return col
    for col, heading in raw.headings.items():
        if heading and normalise_label(heading) == target:
            return col
    return None


def _first(raw: RawExport, candidates) -> str | None:
    for ref in candidates or ():
        found = _find(raw, ref)
        if found is not None:
            return found
    return None


def _normalised_names(raw: RawExport) -> dict[str, tuple[str, str]]:
    """Each column's name and heading as `normalise_label` makes them, worked out once per export."""
    return {col: (normalise_label(col), normalise_label(raw.headings.get(col) or "")) for col in raw.data.columns}


def _find_by_wording(unit: FileUnit, names: dict[str, tuple[str, str]], texts) -> str | None:
    targets = [normalise_label(t) for t in texts if t]
    hits = []
    for col, normalised in names.items():
        if any(n and (n == t or n.endswith(t) or n.endswith(t + "]")) for n in normalised for t in targets):
            hits.append(col)
    if len(hits) > 1:
        raise InputError(
            unit.path,
            f"the question text {texts[0]!r} matches several columns: {hits}",
            column=hits[0],
            fix="map this question to one column explicitly in the config",
        )
    return hits[0] if hits else None


def _missing_column(unit: FileUnit, ref: str, key: str) -> InputError:
    return InputError(
        unit.path,
        "the config maps this column, but the file has no such column (nor a heading with that text)",
        column=ref,
        fix=f"correct regions.{unit.region} -> {key} for this source, or a `waves:` override if the column changed name in this wave",
    )


def _waves(unit: FileUnit, raw: RawExport) -> pd.Series:
    s = unit.settings
    if s.wave is not None:
        return pd.Series(s.wave, index=raw.data.index, dtype="int64")
    column = _find(raw, s.wave_column) if s.wave_column else None
    if column is None:
        raise InputError(
            unit.path,
            "the file has no wave",
            column=s.wave_column,
            fix="give the file a `wave:` or the source a `wave_column:` in the config",
        )
    waves = pd.to_numeric(raw.data[column], errors="coerce")
    bad = waves.isna() | (waves % 1 != 0)
    if bad.any():
        row = int(bad.idxmax())
        raise InputError(
            unit.path,
            f"wave {safe_value(raw.data[column].iloc[row])!r} is not a year",
            row=row,
            column=column,
            fix="every row needs a survey year in the wave column",
        )
    return waves.astype("int64")


def _datetimes(unit: FileUnit, raw: RawExport, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series(pd.NaT, index=raw.data.index, dtype="datetime64[us]")
    return read_dates(raw.data[column], unit.settings.date_format, unit.path, column)


def _completed(raw: RawExport, rule: Marker | str | None) -> pd.Series:
    if rule is None or rule == "always":
        return pd.Series(True, index=raw.data.index)
    column = _first(raw, rule.columns)
    if column is None:
        raise InputError(
            raw.path,
            "the completion marker column is missing",
            column=rule.columns[0] if rule.columns else None,
            fix="set fields.completed for this source, or `always` if the tool only exports completed responses",
        )
    values = raw.data[column]
    if rule.nonempty:
        return ~per_distinct(values, is_blank).astype(bool)
    accepted = {normalise_label(v) for v in rule.values}
    return per_distinct(values, lambda v: not is_blank(v) and normalise_label(v) in accepted).astype(bool)


def _test_marker(raw: RawExport, rule: Marker | None) -> pd.Series:
    marked = pd.Series(False, index=raw.data.index)
    if not rule:
        return marked
    accepted = {normalise_label(v) for v in rule.values}
    for ref in rule.columns:
        column = _find(raw, ref)
        if column is not None:
            marked |= per_distinct(
                raw.data[column], lambda v: not is_blank(v) and normalise_label(v) in accepted
            ).astype(bool)
    return marked


def _numbers(values: pd.Series):
    """Numbers as typed: '4,6' and '4.6' both read; text such as 'ongeveer 4' is invalid (NaN, flagged)."""

    def parse(v):
        if is_blank(v):
            return float("nan"), False
        if isinstance(v, (int, float)):
            return float(v), False
        text = str(v).strip()
        if NUMBER.match(text):
            return float(text.replace(",", ".")), False
        return float("nan"), True

    d = Distinct.of(values)
    parsed = [parse(v) for v in d.values]
    return d.spread([number for number, _ in parsed]).astype(float), d.spread([bad for _, bad in parsed]).astype(bool)


def _dont_know_to_blank(values: pd.Series, codes: set | None) -> pd.Series:
    if not codes:
        return values
    return per_distinct(values, lambda v: None if _is_declared_missing(v, codes) else v)


def _is_declared_missing(value, codes: set) -> bool:
    if not isinstance(value, (int, float)) or value != value:
        return False
    return value in codes or any(isinstance(c, tuple) and c[1] <= value <= c[2] for c in codes)


def _collect(unknown: dict, first_row: dict, column: str, unk: Counter, mask: pd.Series) -> None:
    if unk:
        unknown.setdefault(column, Counter()).update(unk)
        first_row.setdefault(column, int(mask.idxmax()))


def _unknown_issues(unit, out, mask, raw_values, code) -> list[dict]:
    if unit.settings.unknown_labels != "missing" or not mask.any():
        return []
    return _issue_rows(unit, out, mask, code, "unknown_label", raw_values)


def _issue_rows(unit, out: dict, mask, code, problem, raw_values) -> list[dict]:
    return [
        {
            "region": unit.region,
            "wave": int(w),
            "source_file": unit.path,
            "source_row": int(r),
            "column": code,
            "problem": problem,
            "value": safe_value(v),
        }
        for w, r, v in zip(out["wave"][mask], out["source_row"][mask], raw_values[mask])
    ]


def _unknown_label_error(unit: FileUnit, unknown: dict, first_row: dict, s: SourceSettings) -> InputError:
    lines = []
    for column, counts in unknown.items():
        listed = ", ".join(f"{safe_value(label)!r} x{n}" for label, n in sorted(counts.items()))
        lines.append(f"    column '{column}' (first at row {first_row[column]}): {listed}")
    return InputError(
        unit.path,
        "answer labels that no label set knows:\n" + "\n".join(lines),
        row=min(first_row.values()),
        column=next(iter(unknown)),
        fix=f"add each label under the right value of its label set in `label_sets:` (sets used: {s.labels or 'the defaults'}), "
        f"or set `unknown_labels: missing` for this source of regions.{unit.region} to set them missing and list them",
    )


BLANKABLE = (pd.StringDtype, pd.Int64Dtype, pd.Float64Dtype)
KEEP_WITHOUT_CONSENT = ("region", "wave", "source_file", "source_row", "tool", "consent", "completed")


def _drop_without_consent(out: dict, index: pd.Index, issues: pd.DataFrame):
    """The columns as one table, where a response without a 'yes' keeps only its file, row, consent
    answer and completion marker."""
    without = out["consent"].ne("yes").fillna(True).astype(bool)
    if without.any():
        rows = without.to_numpy()
        out = {col: v if col in KEEP_WITHOUT_CONSENT else _blanked(v, rows) for col, v in out.items()}
    dropped_rows = set(out["source_row"][without])
    issues = issues[~issues["source_row"].isin(dropped_rows)]
    return pd.DataFrame(out, index=index), issues.reset_index(drop=True)


def _blanked(values: pd.Series, rows: np.ndarray) -> pd.Series:
    """`values.mask(rows)` for the harmonised table's nullable and datetime columns, at numpy speed."""
    if not isinstance(values.dtype, BLANKABLE) and values.dtype.kind != "M":
        return values.mask(rows)
    array = values.array.copy()
    array[rows] = None
    return pd.Series(array, index=values.index)
