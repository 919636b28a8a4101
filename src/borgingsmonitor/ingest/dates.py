"""Written dates and times, read with one format per column and file: never a guess per value.

A column's format is the source's `date_format` or, when none is declared, the one format of
`FORMATS` that fits every value of the column. A column that two formats fit with different
readings (01/03/2023: 1 March or 3 January?) stops, and so does a column that mixes formats.

Before the format is applied, a trailing time zone (`CET`, `CEST`, `GMT+1`, `UTC`, `Z`, `+01:00`)
is split off and the time converted to Dutch local time, like the fieldwork windows; `a.m.`/`p.m.`
(any case, with or without dots) are read as AM/PM (`%p`). A zone is part of the column's format:
a column where some times carry one and others do not stops too. Date cells (xlsx, SPSS) need no format.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from borgingsmonitor.core.distinct import per_distinct
from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.labels import is_blank
from borgingsmonitor.ingest.privacy import safe_value

LOCAL_ZONE = "Europe/Amsterdam"
TOKENS = {
    "%Y": r"\d{4}",
    "%m": r"\d{1,2}",
    "%d": r"\d{1,2}",
    "%H": r"\d{1,2}",
    "%I": r"\d{1,2}",
    "%M": r"\d{2}",
    "%S": r"\d{2}",
    "%p": "(?:AM|PM)",
}
FRACTION = r"(?:\.\d{1,9})?"


@dataclass(frozen=True)
class DateFormat:
    """A strftime pattern for the date and time as written (the zone read apart); `fraction`: the
    seconds may carry a fraction (ISO 8601); `name`: the built-in name a config declares it by."""

    pattern: str
    fraction: bool = False
    name: str = ""

    @property
    def declared(self) -> str:
        """What to write as `date_format` for this format."""
        return self.name or self.pattern

    @property
    def shape(self) -> str:
        parts = re.split(r"(%[A-Za-z])", self.pattern)
        body = "".join(TOKENS[p] if p in TOKENS else re.escape(p) for p in parts if p)
        return f"^{body}{FRACTION if self.fraction else ''}$"

    def parse(self, texts: pd.Series, shaped: bool = False) -> pd.Series:
        """Every text read with this one format; NaT where it does not fit. `shaped`: every text is
        known to have this format's shape."""
        if not self.fraction:
            return pd.to_datetime(texts, format=self.pattern, errors="coerce")
        parsed = pd.to_datetime(texts, format="ISO8601", errors="coerce")  # the fraction is optional: not strftime
        if shaped:
            return parsed
        fits = pc.match_substring_regex(pa.array(texts.to_numpy(dtype=object), type=pa.string()), self.shape)
        return parsed.where(fits.fill_null(False).to_numpy(zero_copy_only=False))


def _formats(dates: tuple[str, ...], times: tuple[str, ...]) -> list[DateFormat]:
    return [DateFormat(d + t) for d in dates for t in times]


GOOGLE_FORMS = DateFormat("%Y/%m/%d %I:%M:%S %p", name="google_forms")
NAMED = {GOOGLE_FORMS.name: GOOGLE_FORMS}
# What the default accepts (config/README.md lists the same): what the supported tools write, and the
# spellings Excel gives dates when it re-saves an export as CSV.
FORMATS: tuple[DateFormat, ...] = (
    DateFormat("%Y-%m-%d"),
    DateFormat("%Y-%m-%d %H:%M"),
    DateFormat("%Y-%m-%d %H:%M:%S", fraction=True),  # LimeSurvey, Qualtrics
    DateFormat("%Y-%m-%dT%H:%M"),
    DateFormat("%Y-%m-%dT%H:%M:%S", fraction=True),  # ISO 8601 from APIs
    *_formats(("%Y/%m/%d",), ("", " %H:%M", " %H:%M:%S")),
    GOOGLE_FORMS,  # Google Forms
    *_formats(("%d-%m-%Y", "%d/%m/%Y"), ("", " %H:%M", " %H:%M:%S")),  # Dutch-locale Excel
    *_formats(
        ("%m/%d/%Y",), ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
    ),  # US-locale Excel, legacy Qualtrics
)
_BY_PATTERN = {f.pattern: f for f in FORMATS}

NAMED_ZONE = re.compile(r"\s+(?:(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?|(CEST|CET|GMT|UTC))$", re.IGNORECASE)
NUMERIC_ZONE = re.compile(r"(\d:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:([+-])(\d{2}):?(\d{2})|Z)$")
ZONE_MINUTES = {"CET": 60, "CEST": 120, "GMT": 0, "UTC": 0}
AM_PM = re.compile(r"(?<=\d)\s*([ap])\.?\s?m\.?$", re.IGNORECASE)
NEEDS_PYTHON = (
    r"(?i)(?:[a-z.]|(?:GMT|UTC)\s*[+-]\d{1,2}(?::?\d{2})?|[+-]\d{2}:?\d{2})$"  # may end in a zone or a.m./p.m.
)


def check_date_format(declared: str) -> str | None:
    """What is wrong with a declared `date_format`, or None."""
    if declared in NAMED:
        return None
    if "%" not in declared:
        return f"not a strftime format (write it with codes, e.g. '%d-%m-%Y %H:%M'), nor a built-in name ({', '.join(NAMED)})"
    if re.search(r"%[zZ]", declared):
        return "the time zone is read by itself (CET, GMT+1, +01:00, Z): leave %z/%Z out of the format"
    try:
        dt.datetime.strptime(dt.datetime(2024, 3, 24, 10, 10, 45).strftime(declared), declared)
    except ValueError as err:
        return f"not a strftime format that can be read back ({err})"
    return None


def declared_format(declared: str) -> DateFormat:
    return NAMED.get(declared) or _BY_PATTERN.get(declared) or DateFormat(declared)


def read_dates(values: pd.Series, declared: str | None, file, column: str) -> pd.Series:
    """The column as datetimes (NaT where blank), read as the module docstring says; InputError otherwise."""
    text = _text(values)
    if text is None:
        return _cells(values, declared, file, column)
    blank = pd.Series(pc.equal(text, "").fill_null(True).to_numpy(zero_copy_only=False), index=values.index)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if blank.all():
        return out
    local, offset = _split_zones(pc.filter(text, pa.array(~blank.to_numpy())), values.index[~blank])
    zoned = offset.notna()
    if zoned.any() and not zoned.all():
        with_zone, without = offset.index[zoned][0], offset.index[~zoned][0]
        raise InputError(
            file,
            f"some times carry a time zone and some do not: {_shown(values, with_zone)} (row {with_zone}) "
            f"and {_shown(values, without)} (row {without})",
            row=int(without),
            column=column,
            fix="re-export the file so every time is written the same way",
        )
    fmt, parsed = _declared(declared, local) if declared else infer_format(local, values, file, column)
    bad = parsed.isna()
    if bad.any():
        row = bad.idxmax()
        raise InputError(
            file,
            f"{_shown(values, row)} is not a date and time in the format {fmt.declared!r}",
            row=int(row),
            column=column,
            fix=f"correct the value, or set `date_format` for this source to the format of the column{_hint(values, row, local[row])}",
        )
    if zoned.any():
        utc = (parsed - pd.to_timedelta(offset, unit="min")).dt.tz_localize("UTC")
        parsed = utc.dt.tz_convert(LOCAL_ZONE).dt.tz_localize(None)
    out[~blank] = parsed.astype("datetime64[us]")
    return out


def _declared(declared: str, local: pd.Series) -> tuple[DateFormat, pd.Series]:
    fmt = declared_format(declared)
    return fmt, fmt.parse(local)


def infer_format(local: pd.Series, values: pd.Series, file, column: str) -> tuple[DateFormat, pd.Series]:
    """The one format of FORMATS that reads every value, and the values read with it (`local`: the
    non-blank texts, zones split off)."""
    text = pa.array(local.to_numpy(dtype=object), type=pa.string())
    first = local.iloc[0]
    shaped = [
        f for f in FORMATS if re.match(f.shape, first) and pc.all(pc.match_substring_regex(text, f.shape)).as_py()
    ]
    readings = {f: f.parse(local, shaped=True) for f in shaped}
    fitting = [f for f in shaped if readings[f].notna().all()]
    if not fitting:
        raise _no_single_format(local, values, file, column)
    chosen = fitting[0]
    for other in fitting[1:]:
        differ = readings[other].ne(readings[chosen])
        if differ.any():
            row = differ.idxmax()
            raise _ambiguous(values, row, (chosen, readings[chosen][row]), (other, readings[other][row]), file, column)
    return chosen, readings[chosen]


def _ambiguous(values, row, first, second, file, column) -> InputError:
    (a, when_a), (b, when_b) = first, second
    return InputError(
        file,
        f"{_shown(values, row)} reads as {_day(when_a)} with {a.declared!r} and as {_day(when_b)} with {b.declared!r}, and every "
        "value of the column fits both: which one the file means cannot be told from the data",
        row=int(row),
        column=column,
        fix=f'declare the format for this source: `date_format: "{a.declared}"` if {_shown(values, row)} is {_day(when_a)}, '
        f'or `date_format: "{b.declared}"` if it is {_day(when_b)}',
    )


def _no_single_format(local: pd.Series, values: pd.Series, file, column: str) -> InputError:
    """Either a value no format reads, or values that different formats read."""
    fits = pd.DataFrame({f: local.str.fullmatch(f.shape[1:-1]).fillna(False) & f.parse(local).notna() for f in FORMATS})
    unread = ~fits.any(axis=1)
    if unread.any():
        row = unread.idxmax()
        return InputError(
            file,
            f"{_shown(values, row)} is not a date and time in any format the default reads",
            row=int(row),
            column=column,
            fix="correct the value, or set `date_format` for this source to the format of the column (config/README.md lists what the default reads)",
        )
    usual = fits.sum().idxmax()
    row = (~fits[usual]).idxmax()
    usual_row = fits[usual].idxmax()
    return InputError(
        file,
        f"the column mixes date formats: {_shown(values, usual_row)} (row {usual_row}) has the format {usual.declared!r}, {_shown(values, row)} does not",
        row=int(row),
        column=column,
        fix=f"re-export the file so the column has one format, or correct the odd values; one format reads the whole column"
        f"{_hint(values, row, local[row])}",
    )


def _suggest(local: str) -> str:
    """The formats of FORMATS that read this one value, as a hint (each with its reading when they differ);
    empty when none does."""
    readings = {}
    for f in FORMATS:
        when = f.parse(pd.Series([local], dtype=object))[0] if re.match(f.shape, local) else pd.NaT
        if pd.notna(when) and when not in readings.values():
            readings[f] = when
    if not readings:
        return ""
    if len(readings) == 1:
        return f'`date_format: "{next(iter(readings)).declared}"` reads it'
    return " or ".join(f'`date_format: "{f.declared}"` if it is {_day(when)}' for f, when in readings.items())


def _hint(values: pd.Series, row, local: str) -> str:
    suggestion = _suggest(local)
    return f" (for {_shown(values, row)}: {suggestion})" if suggestion else ""


def _split_zones(text: pa.Array, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """The date and time as written without its zone (and with a.m./p.m. as AM/PM), and the zone's
    offset from UTC in minutes (NaN: no zone). Only texts that may end in letters or an offset take
    the slower Python path."""
    local = pd.Series(text.to_numpy(zero_copy_only=False), index=index, dtype=object)
    offset = pd.Series(np.nan, index=index)
    slow = pc.match_substring_regex(text, NEEDS_PYTHON).to_numpy(zero_copy_only=False)
    if slow.any():
        split = per_distinct(local[slow], _split_zone)
        local[slow] = split.map(lambda pair: pair[0])
        offset[slow] = split.map(lambda pair: pair[1]).astype(float)
    return local, offset


def _split_zone(text: str) -> tuple[str, float]:
    offset = np.nan
    named = NAMED_ZONE.search(text)
    numeric = None if named else NUMERIC_ZONE.search(text)
    if named:
        sign, hours, minutes, name = named.groups()
        offset = (
            ZONE_MINUTES[name.upper()] if name else (1 if sign == "+" else -1) * (int(hours) * 60 + int(minutes or 0))
        )
        text = text[: named.start()]
    elif numeric:
        sign, hours, minutes = numeric.group(2, 3, 4)
        offset = 0 if sign is None else (1 if sign == "+" else -1) * (int(hours) * 60 + int(minutes))
        text = text[: numeric.end(1)]
    ampm = AM_PM.search(text)
    if ampm:
        text = f"{text[: ampm.start()]} {ampm.group(1).upper()}M"
    return text, offset


def _cells(values: pd.Series, declared: str | None, file, column: str) -> pd.Series:
    """A column with date cells (xlsx, SPSS): the cells as they are; text among them is a mixed column."""
    kind = per_distinct(values, _kind)
    if (kind == "other").any():
        row = (kind == "other").idxmax()
        raise InputError(
            file,
            f"{_shown(values, row)} is not a date and time",
            row=int(row),
            column=column,
            fix="check that the config maps the right column; dates must be date cells or text",
        )
    if (kind == "text").any() and (kind == "cell").any():
        cell, text = (kind == "cell").idxmax(), (kind == "text").idxmax()
        raise InputError(
            file,
            f"the column mixes date cells ({_shown(values, cell)}, row {cell}) and text ({_shown(values, text)}, row {text}): "
            "a spreadsheet program probably re-typed part of it",
            row=int(text),
            column=column,
            fix="take the export as the tool wrote it, or format the whole column as text before saving",
        )
    if (kind == "text").any():
        return read_dates(
            values.where(kind == "text").astype(object).where(kind == "text", None), declared, file, column
        )
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    cells = kind == "cell"
    out[cells] = pd.to_datetime(values[cells]).astype("datetime64[us]")
    return out


def _kind(value) -> str:
    if is_blank(value):
        return "blank"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (dt.date, np.datetime64)):  # datetime and pd.Timestamp are dates
        return "cell"
    return "other"


def _text(values: pd.Series):
    """The values as Arrow strings without surrounding white space, or None when some are not text."""
    try:
        text = pa.array(np.asarray(values.array, dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return None
    return pc.utf8_trim_whitespace(text)


def _shown(values: pd.Series, row) -> str:
    return repr(safe_value(values[row]))


def _day(when: pd.Timestamp) -> str:
    return f"{when.day} {when:%B %Y}"
