"""Written dates: one format per column and file, inferred from all its values or declared; never a guess."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from conftest import example_config, run_workflow, write_config
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_files import (
    REGISTRY_REGION,
    dutch_excel_settings,
    responses,
    run_ingest,
    write_dutch_excel_csv,
    write_registry,
)

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.ingest.dates import FORMATS, check_date_format, read_dates
from borgingsmonitor.ingest.sources import SourceSettings

DAY_FIRST, MONTH_FIRST = "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"
# How the supported tools and Excel write times (what FORMATS must read): strftime renderings.
WRITTEN = [f.pattern for f in FORMATS]


def read(texts: list[str], declared: str | None = None) -> pd.Series:
    return read_dates(pd.Series(texts, dtype=object), declared, "export.csv", "Ingevuld op")


moments = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2026, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


@settings(deadline=None)
@given(st.lists(st.tuples(moments, st.sampled_from(WRITTEN)), min_size=1, max_size=12))
def test_a_column_is_read_with_one_format_or_not_at_all(written):
    """Whatever mix of spellings a column holds, every value is read with the same one format, or the column stops."""
    texts = pd.Series([when.strftime(fmt) for when, fmt in written], dtype=object)
    try:
        parsed = read(list(texts))
    except InputError as err:
        assert err.column == "Ingevuld op" and err.fix
        return
    readers = [
        f for f in FORMATS if f.parse(texts).notna().all() and f.parse(texts).astype("datetime64[us]").equals(parsed)
    ]
    assert readers, "no single format reads the column as it was read"
    if len({fmt for _, fmt in written}) == 1:  # one spelling: every value read as it was meant
        assert parsed.tolist() == [
            pd.Timestamp(dt.datetime.strptime(text, fmt)) for text, (_, fmt) in zip(texts, written)
        ]


@settings(deadline=None)
@given(st.lists(moments, min_size=1, max_size=12).filter(lambda ds: any(d.day > 12 for d in ds)))
def test_a_column_with_a_day_above_12_is_read_day_first_throughout(moments_):
    parsed = read([d.strftime(DAY_FIRST) for d in moments_])
    assert parsed.tolist() == [pd.Timestamp(d) for d in moments_]


ambiguous = st.lists(moments.map(lambda d: d.replace(day=min(d.day, 12))), min_size=1, max_size=12).filter(
    lambda ds: any(d.day != d.month for d in ds)
)


@settings(deadline=None)
@given(ambiguous)
def test_an_ambiguous_column_without_a_declared_format_stops(moments_):
    with pytest.raises(InputError) as info:
        read([d.strftime(DAY_FIRST) for d in moments_])
    err = info.value
    assert (err.file, err.column) == ("export.csv", "Ingevuld op")
    assert f'date_format: "{DAY_FIRST}"' in err.fix and f'date_format: "{MONTH_FIRST}"' in err.fix


@settings(deadline=None)
@given(ambiguous)
def test_an_ambiguous_column_with_a_declared_format_is_read_that_way(moments_):
    assert read([d.strftime(DAY_FIRST) for d in moments_], DAY_FIRST).tolist() == [pd.Timestamp(d) for d in moments_]


def test_excel_retyped_column_is_read_day_first_not_per_value():
    """The issue's case: 13/02/2023 forces day-first, so 01/03/2023 is 1 March, not 3 January."""
    parsed = read(["13/02/2023 10:00", "01/03/2023 11:30", ""])
    assert parsed.tolist()[:2] == [pd.Timestamp("2023-02-13 10:00"), pd.Timestamp("2023-03-01 11:30")]
    assert pd.isna(parsed.iloc[2])


def test_mixed_formats_stop_and_the_hint_reads_the_odd_value():
    with pytest.raises(InputError) as info:
        read(["2023-02-13 10:00:00", "2023-02-14 10:00:00", "15-02-2023 10:00"])
    err = info.value
    assert err.row == 2 and "mixes date formats" in str(err)
    assert 'date_format: "%d-%m-%Y %H:%M"' in err.fix
    assert pd.Timestamp("2023-02-15 10:00") == pd.to_datetime("15-02-2023 10:00", format="%d-%m-%Y %H:%M")


def test_a_google_forms_time_gets_the_built_in_name_as_hint():
    """'a.m. CET' cannot be said in strftime: the hint names the built-in format instead."""
    value = "2024/03/24 10:10:45 a.m. CET"
    with pytest.raises(InputError) as info:
        read([value], "%d-%m-%Y %H:%M")
    assert 'date_format: "google_forms"' in info.value.fix
    assert read([value], "google_forms").tolist() == [pd.Timestamp("2024-03-24 10:10:45")]
    assert read([value, "2024/03/24 01:10:45 p.m. CET"]).tolist() == [
        pd.Timestamp("2024-03-24 10:10:45"),
        pd.Timestamp("2024-03-24 13:10:45"),
    ]


def test_a_zone_on_some_values_only_stops():
    with pytest.raises(InputError) as info:
        read(["2024-03-30T10:31:42Z", "2024-03-30T11:31:42"])
    assert "time zone" in str(info.value) and info.value.row == 1


def test_iso_seconds_with_and_without_a_fraction_are_one_format():
    parsed = read(["2024-03-30 10:31:42", "2024-03-30 10:31:42.250"])
    assert parsed.tolist() == [pd.Timestamp("2024-03-30 10:31:42"), pd.Timestamp("2024-03-30 10:31:42.250")]


def test_date_cells_mixed_with_text_stop():
    values = pd.Series([dt.datetime(2023, 3, 1, 10), "13/02/2023 10:00"], dtype=object)
    with pytest.raises(InputError) as info:
        read_dates(values, None, "export.xlsx", "Tijd van voltooien")
    assert info.value.row == 1 and "re-typed" in str(info.value)


def test_date_cells_need_no_format():
    values = pd.Series([dt.datetime(2023, 3, 1, 10), None, pd.Timestamp("2023-03-02 11:00")], dtype=object)
    parsed = read_dates(values, None, "export.xlsx", "Tijd van voltooien")
    assert (
        parsed[0] == pd.Timestamp("2023-03-01 10:00")
        and pd.isna(parsed[1])
        and parsed[2] == pd.Timestamp("2023-03-02 11:00")
    )


@pytest.mark.parametrize("declared", ["%Y-%m-%dT%H:%M:%S%z", "dd-mm-yyyy HH:MM", "google forms"])
def test_a_declared_format_that_cannot_work_is_refused_when_the_config_is_read(declared):
    assert check_date_format(declared)
    with pytest.raises(InputError) as info:
        SourceSettings.from_config({"tool": "delimited", "date_format": declared}, "regions.zeeland (a.csv)")
    assert "regions.zeeland (a.csv)" in str(info.value) and "date_format" in str(info.value)


def test_the_error_names_file_and_column_through_ingestion(tmp_path):
    """A Dutch-Excel export whose dates all fit both readings, no date_format: the run stops."""
    rows = ambiguous_rows()
    path = write_excel_slashes(tmp_path / "aanvulling.csv", rows)
    with pytest.raises(InputError) as info:
        run_ingest(tmp_path, path, dutch_excel_settings() | {"date_format": None})
    assert (info.value.file, info.value.column) == ("aanvulling.csv", "Ingevuld op")
    table, _ = run_ingest(
        tmp_path, path, dutch_excel_settings() | {"date_format": DAY_FIRST}
    )  # declared: read as written
    consenting = [i for i, r in enumerate(rows) if r["consent"]]
    assert table["submitted"][consenting].tolist() == [pd.Timestamp(rows[i]["submitted"]) for i in consenting]


@pytest.mark.slow
def test_the_workflow_stops_on_an_ambiguous_column_and_says_where(tmp_path):
    """Through Snakemake: the terminal names the file, the column, a value and the fix."""
    inputs = tmp_path / "input"
    write_excel_slashes(inputs / "zeeland" / "aanvulling.csv", ambiguous_rows())
    write_registry(inputs / "registry" / "partnerships.csv")
    source = {k: v for k, v in dutch_excel_settings().items() if k not in ("wave", "date_format")}
    config = example_config(inputs)
    config["regions"] = {
        "zeeland": {
            "registry_region": REGISTRY_REGION,
            "fieldwork": {"2024": ["2024-01-01", "2024-06-30"]},
            "sources": [source | {"files": [{"path": "zeeland/aanvulling.csv", "wave": 2024}]}],
        }
    }
    write_config(tmp_path, config)
    result = run_workflow(tmp_path, "results/interim/ingested/zeeland/aanvulling.parquet", check=False)
    assert result.returncode != 0
    terminal = result.stdout + result.stderr
    assert "zeeland/aanvulling.csv" in terminal and "column 'Ingevuld op'" in terminal and "'1/3/2024 9:05'" in terminal
    assert 'date_format: "%d/%m/%Y %H:%M"' in terminal and 'date_format: "%m/%d/%Y %H:%M"' in terminal
    assert not (tmp_path / "results" / "interim" / "ingested" / "zeeland" / "aanvulling.parquet").exists()


def ambiguous_rows() -> list[dict]:
    """Responses submitted on 1..6 March: written d/m/yyyy, each also reads as a January-June date."""
    rows = responses(6, seed=5)
    return [r | {"submitted": dt.datetime(2024, 3, 1 + i, 9 + i, 5)} for i, r in enumerate(rows)]


def write_excel_slashes(path, rows: list[dict]):
    """The Dutch-Excel CSV with its dates re-typed by Excel as d/m/yyyy H:MM."""
    write_dutch_excel_csv(path, rows)
    text = path.read_text(encoding="cp1252")
    for r in rows:
        when = r["submitted"]
        text = text.replace(f"{when.day}-{when.month}-{when.year} ", f"{when.day}/{when.month}/{when.year} ")
    assert "1/3/2024 9:05" in text
    path.write_text(text, encoding="cp1252", newline="")
    return path


def test_a_declared_iso_format_reads_only_that_layout():
    """ISO 8601 in general would read a bare date too: a declared format with seconds does not."""
    assert read(["2024-03-30 10:31:42.5"], "%Y-%m-%d %H:%M:%S").tolist() == [pd.Timestamp("2024-03-30 10:31:42.5")]
    with pytest.raises(InputError) as info:
        read(["2024-03-30 10:31:42", "2024-03-30"], "%Y-%m-%d %H:%M:%S")
    assert info.value.row == 1 and 'date_format: "%Y-%m-%d"' in info.value.fix


def test_the_hint_for_a_value_that_fits_both_readings_names_both():
    with pytest.raises(InputError) as info:
        read(["1/3/2024 9:05"], "google_forms")
    fix = info.value.fix
    assert (
        f'date_format: "{DAY_FIRST}"` if it is 1 March 2024' in fix
        and f'date_format: "{MONTH_FIRST}"` if it is 3 January 2024' in fix
    )


@settings(deadline=None)
@given(st.lists(moments, min_size=1, max_size=12), st.sampled_from(["iso", "google", "google_nl", "offset"]))
def test_times_with_a_zone_become_dutch_local_time(instants, style):
    """Times written in UTC or with the zone of the day (as Google Forms and APIs do) all read as Amsterdam clock time."""
    amsterdam = ZoneInfo("Europe/Amsterdam")
    texts, expected = [], []
    for utc in instants:
        local = utc.replace(tzinfo=dt.UTC).astimezone(amsterdam)
        hours = int(local.utcoffset().total_seconds() // 3600)
        zone = {"google": f"GMT+{hours}", "google_nl": "CEST" if hours == 2 else "CET"}.get(style)
        if style == "iso":
            texts.append(utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
        elif style == "offset":
            texts.append(local.strftime("%Y-%m-%d %H:%M:%S") + f"+0{hours}:00")
        else:
            ampm = local.strftime("%p") if style == "google" else {"AM": "a.m.", "PM": "p.m."}[local.strftime("%p")]
            texts.append(local.strftime("%Y/%m/%d %I:%M:%S ") + f"{ampm} {zone}")
        expected.append(pd.Timestamp(local.replace(tzinfo=None)))
    assert read(texts).tolist() == expected
