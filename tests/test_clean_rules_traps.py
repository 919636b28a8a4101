"""Real small exports with every trap, through ingestion and cleaning: each row's fate.

Helmond (LimeSurvey, fieldwork 2024-03-08 .. 2024-04-12) and Den Bosch (Qualtrics, fieldwork
2024-02-15 .. 2024-03-21), with the source settings of config/config.yaml.
"""

import pandas as pd
import pytest
from fixtures.clean import (
    SECRET,
    START_YEAR,
    Q,
    fieldwork,
    ingest,
    lime_response,
    qualtrics_response,
    registry_frame,
    write_limesurvey,
    write_qualtrics,
    write_registry,
)

from borgingsmonitor.clean.rules import CleaningSettings, clean

LIME_2024 = "helmond/2024/results-survey111111.csv"
LIME_2025 = "helmond/2025/results-survey222222.csv"
QUALTRICS_2024 = "den-bosch/Monitor DLR Den Bosch 2024_March 23, 2024_14.35.csv"
NO_CONSENT_COMMENT = "Liever niet meedoen, mail me op piet.puk@example.nl"

# row -> (fate, partnership): the Helmond 2024 export
LIME_FATES = {
    0: ("analysed", "HEL-07"),
    1: ("duplicate", None),  # tokB's first submission
    2: ("analysed", "HEL-07"),  # tokB again, later (token typed with other case and spaces)
    3: ("incomplete", None),  # never submitted
    4: ("no_consent", None),  # "Nee"
    5: ("test", None),  # dated before fieldwork
    6: ("speeder", None),  # 40 seconds
    7: ("analysed", "HEL-07"),  # partnership name with odd spacing and case
    8: ("unknown_partnership", None),  # a route that does not exist
    9: ("analysed", "HEL-01"),  # 400 hours a week: the value goes, the response stays
    10: ("analysed", "HEL-01"),  # no token (anonymous) ...
    11: ("analysed", "HEL-01"),  # ... twice, identical: never merged
    12: ("analysed", "HEL-09"),  # submitted on the last day of fieldwork
    13: ("analysed", "HEL-09"),  # submitted on the first day of fieldwork
}
QUALTRICS_FATES = {
    0: ("duplicate", None),  # Fleur's first response
    1: ("test", None),  # Survey Preview
    2: ("incomplete", None),  # Finished = False
    3: ("analysed", "DBO-02"),  # Fleur again, later, e-mail typed differently
    4: ("unknown_partnership", None),  # DBO-99 is not in the registry
    5: ("no_consent", None),
    6: ("analysed", "DBO-04"),  # last day of fieldwork, late evening
    7: ("speeder", None),  # 59 seconds
    8: ("test", None),  # the day after fieldwork closed
}


def lime_rows_2024():
    ok = "2024-03-20 10:00:00"
    return [
        lime_response("tokA", "Route ICT Helmond", ok, seed=1),
        lime_response("tokB", "Route ICT Helmond", "2024-03-21 09:00:00", seed=2),
        lime_response("  TOKb ", "Route ICT Helmond", "2024-03-22 09:00:00", seed=3),
        lime_response("tokC", "Route ICT Helmond", None, seed=4),
        lime_response(
            "tokD", "Route ICT Helmond", ok, seed=5, consent="Nee", comment=NO_CONSENT_COMMENT, hours="ongeveer 4"
        ),
        lime_response("tokE", "Route ICT Helmond", "2024-03-01 10:00:00", seed=6),
        lime_response("tokF", "Route ICT Helmond", ok, seed=7, seconds=40),
        lime_response("tokG", "  route   ICT  helmond ", ok, seed=8),
        lime_response("tokH", "Route Bestaat Niet", ok, seed=9),
        lime_response("tokI", "Route Mobiliteit & Transport Helmond", ok, seed=10, hours="400"),
        lime_response("", "HEL-01", ok, seed=11),
        lime_response("", "HEL-01", ok, seed=11),
        lime_response("tokJ", "Route Zorg Deurne", "2024-04-12 23:30:00", seed=12),
        lime_response("tokK", "Route Zorg Deurne", "2024-03-08 00:05:00", seed=13),
    ]


def qualtrics_rows_2024():
    ok = "2024-03-01 10:00:00"
    return [
        qualtrics_response("Fleur.Jansen@school.nl", "DBO-02", "2024-02-20 10:00:00", seed=21),
        qualtrics_response("preview@school.nl", "DBO-02", ok, seed=22, status="Survey Preview", channel="preview"),
        qualtrics_response("half@school.nl", "DBO-02", ok, seed=23, finished=False),
        qualtrics_response(" fleur.jansen@SCHOOL.nl", "DBO-02", "2024-02-28 10:00:00", seed=24),
        qualtrics_response("k.smit@school.nl", "DBO-99", ok, seed=25),
        qualtrics_response("nee@school.nl", "DBO-02", ok, seed=26, consent="Nee", comment=NO_CONSENT_COMMENT),
        qualtrics_response("laat@school.nl", "DBO-04", "2024-03-21 22:45:00", seed=27, hours="4,5"),
        qualtrics_response("snel@school.nl", "DBO-02", ok, seed=28, seconds=59),
        qualtrics_response("na@school.nl", "DBO-02", "2024-03-22 08:00:00", seed=29),
    ]


@pytest.fixture(scope="module")
def run(tmp_path_factory, monkeypatch_module):
    folder = tmp_path_factory.mktemp("exports")
    registry = write_registry(folder)
    write_limesurvey(folder / LIME_2024, lime_rows_2024())
    write_limesurvey(
        folder / LIME_2025,
        [
            lime_response("TOKA", "Route ICT Helmond", "2025-03-10 10:00:00", seed=31),
            lime_response("tokL", "Route ICT Helmond", "2025-03-10 11:00:00", seed=32),
        ],
    )
    write_qualtrics(folder / QUALTRICS_2024, qualtrics_rows_2024())
    parts = [
        ingest(folder, "helmond", LIME_2024, 2024, registry),
        ingest(folder, "helmond", LIME_2025, 2025, registry),
        ingest(folder, "den-bosch", QUALTRICS_2024, 2024, registry),
    ]
    table = pd.concat([p[0] for p in parts], ignore_index=True)
    issues = pd.concat([p[1] for p in parts], ignore_index=True)
    outputs = clean(table, registry_frame(), Q, CleaningSettings(fieldwork()), issues)
    return {"table": table, "ingest_issues": issues, "outputs": outputs}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BORGING_SECRET", SECRET)
        yield mp


def observed_fates(outputs, source_file):
    responses, exclusions, _, _ = outputs
    fates = {}
    for row, pid in responses.loc[responses["source_file"] == source_file, ["source_row", "partnership_id"]].itertuples(
        index=False
    ):
        fates[int(row)] = ("analysed", pid)
    for row, reason in exclusions.loc[exclusions["source_file"] == source_file, ["source_row", "reason"]].itertuples(
        index=False
    ):
        assert int(row) not in fates, f"row {row} both analysed and excluded"
        fates[int(row)] = (reason, None)
    return fates


def test_every_limesurvey_trap_meets_its_fate(run):
    assert observed_fates(run["outputs"], LIME_2024) == LIME_FATES


def test_every_qualtrics_trap_meets_its_fate(run):
    assert observed_fates(run["outputs"], QUALTRICS_2024) == QUALTRICS_FATES


def test_the_exclusion_details_say_why(run):
    exclusions = run["outputs"][1]
    detail = {(f, int(r)): d for f, r, d in exclusions[["source_file", "source_row", "detail"]].itertuples(index=False)}
    assert detail[(LIME_2024, 1)] == "later submission kept (row 2)"
    assert detail[(LIME_2024, 4)] == "consent: no"
    assert detail[(LIME_2024, 5)] == "submitted outside the fieldwork window"
    assert detail[(LIME_2024, 6)] == "40 s < 60 s"
    assert detail[(LIME_2024, 8)] == "not in the registry: 'Route Bestaat Niet'"
    assert detail[(QUALTRICS_2024, 1)] == "marked as test or preview by the tool"
    assert detail[(QUALTRICS_2024, 4)] == "not in the registry: 'DBO-99'"


def test_the_attrition_table_balances_per_region_and_wave(run):
    attrition = run["outputs"][2].set_index(["region", "wave"])
    assert attrition.loc[("helmond", 2024)].to_dict() == {
        "raw_rows": 14,
        "no_consent": 1,
        "incomplete": 1,
        "duplicate": 1,
        "test": 1,
        "speeder": 1,
        "unknown_partnership": 1,
        "analysed": 8,
    }
    assert attrition.loc[("den-bosch", 2024)].to_dict() == {
        "raw_rows": 9,
        "no_consent": 1,
        "incomplete": 1,
        "duplicate": 1,
        "test": 2,
        "speeder": 1,
        "unknown_partnership": 1,
        "analysed": 2,
    }
    assert attrition.loc[("helmond", 2025), "analysed"] == 2
    assert attrition["raw_rows"].sum() == len(run["table"]) == 25


def test_an_out_of_range_value_becomes_missing_and_is_listed_and_the_response_stays(run):
    responses, _, _, issues = run["outputs"]
    row = responses[(responses["source_file"] == LIME_2024) & (responses["source_row"] == 9)].iloc[0]
    assert pd.isna(row["fac_hours"]) and row["years_involved"] == 2
    assert pd.notna(row["REL"])
    listed = issues[["source_file", "source_row", "column", "problem", "value"]].values.tolist()
    assert [LIME_2024, 9, "fac_hours", "out_of_range", "400"] in listed
    # The no-consent row typed "ongeveer 4": its answers, problems included, appear nowhere.
    assert not ((issues["source_file"] == LIME_2024) & (issues["source_row"] == 4)).any()
    assert len(issues) == 1


def test_a_decimal_comma_reads_as_a_number(run):
    responses = run["outputs"][0]
    late = responses[(responses["source_file"] == QUALTRICS_2024) & (responses["source_row"] == 6)].iloc[0]
    assert late["fac_hours"] == 4.5


def test_partnership_age_comes_from_the_registry(run):
    responses = run["outputs"][0]
    expected = responses["wave"] - responses["partnership_id"].map(START_YEAR)
    assert responses["partnership_age"].tolist() == expected.tolist()
    assert responses["partnership_id"].isin(START_YEAR).all()


def test_panel_keys_are_stable_across_waves_and_spellings(run):
    responses = run["outputs"][0]
    key = responses.set_index(["source_file", "source_row"])["respondent_key"]
    assert key[(LIME_2024, 0)] == key[(LIME_2025, 0)]  # tokA in 2024, TOKA in 2025
    assert key[(LIME_2024, 0)] != key[(LIME_2025, 1)]
    assert pd.isna(key[(LIME_2024, 10)]) and pd.isna(key[(LIME_2024, 11)])
    keys = responses["respondent_key"].dropna()
    assert keys.str.fullmatch(r"[0-9a-f]{20}").all()
    assert not responses.duplicated(["wave", "respondent_key"]).loc[responses["respondent_key"].notna()].any()


def test_a_no_consent_response_appears_in_no_output_but_its_file_and_row(run):
    table = run["table"]
    no_consent = table[table["consent"].eq("no").fillna(False)]
    assert len(no_consent) == 2
    kept = {"region", "wave", "source_file", "source_row", "tool", "consent", "completed"}
    assert no_consent.drop(columns=list(kept)).isna().all().all()
    responses, exclusions, _, issues = run["outputs"]
    rows = set(map(tuple, no_consent[["source_file", "source_row"]].to_numpy()))
    assert not rows & set(map(tuple, responses[["source_file", "source_row"]].to_numpy()))
    assert not rows & set(map(tuple, issues[["source_file", "source_row"]].to_numpy()))
    listed = exclusions[[tuple(k) in rows for k in exclusions[["source_file", "source_row"]].to_numpy()]]
    assert set(listed["reason"]) == {"no_consent"} and set(listed["detail"]) == {"consent: no"}
    for frame in run["outputs"]:
        assert "piet.puk" not in frame.to_csv() and "meedoen" not in frame.to_csv()
