"""Every bad input stops with an error that names the file, the row and the column, and says what to fix."""

from __future__ import annotations

import pandas as pd
import pytest
from ingest_files import (
    REGISTRY_HEADER,
    ROUTES,
    dutch_excel_settings,
    google_settings,
    likert_text,
    limesurvey_settings,
    msforms_settings,
    registry_rows,
    responses,
    run_ingest,
    write_dutch_excel_csv,
    write_google_forms,
    write_limesurvey,
    write_registry,
)

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.registry import load_registry

ASCII_ROWS = [
    r
    | {
        "name": "Jan Jansen",
        "email": f"jan{i}@school.nl",
        "route": "Route Techniek Teststad",
        "route_id": "TST-01",
        "comment": "",
        "role": i % 3,
    }
    for i, r in enumerate(responses(6, seed=3))
]


def says_what_to_fix(err: InputError):
    assert "To fix:" in str(err) and err.fix


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as info:
        run_ingest(tmp_path, tmp_path / "helmond" / "2026" / "results-survey1.csv", limesurvey_settings())
    assert "results-survey1.csv" in str(info.value) and "does not exist" in str(info.value)
    says_what_to_fix(info.value)


@pytest.mark.parametrize("tool", ["msforms", "spss"])
def test_missing_binary_file(tmp_path, tool):
    settings = msforms_settings() if tool == "msforms" else {"tool": "spss", "wave": 2024}
    with pytest.raises(InputError, match="does not exist"):
        run_ingest(tmp_path, tmp_path / "weg.bin", settings)


def test_a_mapped_column_the_file_lacks(tmp_path):
    path = write_limesurvey(tmp_path / "r.csv", ASCII_ROWS)
    settings = limesurvey_settings()
    settings["items"]["fac_time"] = "FAC[SQ009]"
    with pytest.raises(InputError) as info:
        run_ingest(tmp_path, path, settings)
    err = info.value
    assert err.file.endswith("r.csv") and err.column == "FAC[SQ009]"
    assert "items.fac_time" in str(err)
    says_what_to_fix(err)


def test_a_question_nobody_mapped(tmp_path):
    path = write_limesurvey(tmp_path / "r.csv", ASCII_ROWS)
    settings = limesurvey_settings()
    del settings["questions"]["consent"]
    with pytest.raises(InputError, match="no column is mapped for consent") as info:
        run_ingest(tmp_path, path, settings)
    says_what_to_fix(info.value)


def test_cp1252_file_read_as_utf8_names_row_and_column(tmp_path):
    rows = [dict(r) for r in ASCII_ROWS]
    rows[4]["comment"] = "Dank, één opmerking"
    path = write_dutch_excel_csv(tmp_path / "monitor.csv", rows)
    settings = dutch_excel_settings() | {"encoding": "utf-8"}
    with pytest.raises(InputError) as info:
        run_ingest(tmp_path, path, settings)
    err = info.value
    assert err.file.endswith("monitor.csv")
    assert err.row == 4 and err.column == "Wil je nog iets toelichten?"
    assert "xe9" in str(err) and "cp1252" in err.fix


def test_cp1252_bytes_in_the_header_name_the_header(tmp_path):
    path = tmp_path / "kop.csv"
    path.write_bytes("Tijdstempel;Opmerking van de coördinator\r\n2024-03-12 10:00;x\r\n".encode("cp1252"))
    with pytest.raises(InputError) as info:
        run_ingest(tmp_path, path, dutch_excel_settings() | {"encoding": "utf-8"})
    assert info.value.row is None and "line 1" in str(info.value)


def test_a_row_with_too_many_fields(tmp_path):
    path = write_google_forms(tmp_path / "g.csv", ASCII_ROWS)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] += ",extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        run_ingest(tmp_path, path, google_settings())
    assert info.value.row == 2 and "delimiter" in info.value.fix


@pytest.mark.parametrize("column", ["start_year", "partnership_id", "stopped_year"])
def test_registry_without_a_needed_column(tmp_path, column):
    keep = [i for i, h in enumerate(REGISTRY_HEADER) if h != column]
    registry = write_registry(
        tmp_path / "reg.csv", [[r[i] for i in keep] for r in registry_rows()], [REGISTRY_HEADER[i] for i in keep]
    )
    path = write_google_forms(tmp_path / "g.csv", ASCII_ROWS)
    with pytest.raises(InputError) as info:
        run_ingest(tmp_path, path, google_settings(), registry=registry)
    assert info.value.column == column and info.value.file.endswith("reg.csv")
    says_what_to_fix(info.value)


def test_registry_year_that_is_not_a_year(tmp_path):
    rows = registry_rows()
    rows[1][6] = "twintig"
    with pytest.raises(InputError) as info:
        load_registry(write_registry(tmp_path / "reg.csv", rows))
    assert (info.value.row, info.value.column) == (1, "start_year")


def test_registry_ids_and_regions_are_stripped(tmp_path):
    registry = load_registry(write_registry(tmp_path / "reg.csv"))
    assert registry["partnership_id"].tolist() == list(ROUTES)
    assert set(registry["region"]) == {"Testregio"}


def _with_unknown_labels():
    rows = [r | {"items": dict(r["items"])} for r in ASCII_ROWS]
    rows[0]["items"]["rel_know"] = "Eens"
    rows[1]["items"]["rel_trust"] = "Eens"
    rows[4]["items"]["fac_time"] = "Weet ik niet"
    rows[5]["items"]["fac_time"] = "Weet ik niet"
    return rows


@pytest.fixture
def unknown_label_file(tmp_path, monkeypatch):
    import ingest_files

    monkeypatch.setattr(
        ingest_files, "likert_text", lambda v, lang="nl": v if isinstance(v, str) else likert_text(v, lang)
    )
    return write_google_forms(tmp_path / "g.csv", _with_unknown_labels())


def test_unknown_labels_stop_and_list_every_label_with_its_count(tmp_path, unknown_label_file):
    with pytest.raises(InputError) as info:
        run_ingest(tmp_path, unknown_label_file, google_settings())
    text = str(info.value)
    assert "'Eens' x1" in text and "'Weet ik niet' x2" in text
    assert text.count("'Eens' x1") == 2  # listed under both columns
    assert info.value.row == 0 and info.value.column == "Ik ken de collega's van de partnerschool goed."
    assert "unknown_labels: missing" in info.value.fix and "label_sets" in info.value.fix


def test_unknown_labels_missing_become_missing_and_are_listed(tmp_path, unknown_label_file):
    table, issues = run_ingest(tmp_path, unknown_label_file, google_settings() | {"unknown_labels": "missing"})
    assert (
        pd.isna(table["rel_know"].iloc[0]) and pd.isna(table["fac_time"].iloc[4]) and pd.isna(table["fac_time"].iloc[5])
    )
    assert table["rel_know"].iloc[1] == ASCII_ROWS[1]["items"]["rel_know"]  # other answers stay
    listed = issues[["source_row", "column", "problem", "value"]].values.tolist()
    assert sorted(listed) == sorted(
        [
            [0, "rel_know", "unknown_label", "Eens"],
            [1, "rel_trust", "unknown_label", "Eens"],
            [4, "fac_time", "unknown_label", "Weet ik niet"],
            [5, "fac_time", "unknown_label", "Weet ik niet"],
        ]
    )
    assert (issues["source_file"] == "g.csv").all() and (issues["wave"] == 2024).all()


def test_a_label_set_added_in_config_fixes_the_unknown_labels(tmp_path, unknown_label_file):
    label_sets = {"likert": {"values": {4: ["Eens"]}, "missing": ["Weet ik niet"]}}
    table, issues = run_ingest(tmp_path, unknown_label_file, google_settings(), label_sets=label_sets)
    assert table["rel_know"].iloc[0] == 4 and pd.isna(table["fac_time"].iloc[4]) and issues.empty


def test_a_date_that_is_no_date(tmp_path):
    rows = [dict(r) for r in ASCII_ROWS]
    path = write_dutch_excel_csv(tmp_path / "m.csv", rows)
    text = path.read_text(encoding="cp1252").replace(f"{rows[2]['submitted'].day}-3-2024", "gisteren", 1)
    path.write_text(text, encoding="cp1252", newline="")
    with pytest.raises(InputError) as info:
        run_ingest(tmp_path, path, dutch_excel_settings())
    assert (info.value.row, info.value.column) == (2, "Ingevuld op") and "date_format" in info.value.fix


def test_wave_column_with_a_value_that_is_no_year(tmp_path):
    path = write_google_forms(tmp_path / "g.csv", ASCII_ROWS)
    settings = google_settings()
    del settings["wave"]
    settings["wave_column"] = "Wil je nog iets toelichten?"  # empty text, no year
    with pytest.raises(InputError) as info:
        run_ingest(tmp_path, path, settings)
    assert info.value.row == 0 and "wave" in info.value.fix
