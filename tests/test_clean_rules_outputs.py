"""The cleaning outputs hold the contract's columns in order, and no personal data."""

import pandas as pd
import pytest
from fixtures.clean import (
    SECRET,
    Q,
    fieldwork,
    harmonised_rows,
    ingest,
    lime_response,
    qualtrics_response,
    registry_frame,
    write_limesurvey,
    write_qualtrics,
    write_registry,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.clean.rules import CleaningSettings, clean, echo

RESPONSE_COLUMNS = (
    [
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
    + Q.item_codes
    + ["REL", "FAC", "PRO", "ORG", "DUR", "partnership_age", "comment"]
)
EXCLUSION_COLUMNS = ["region", "wave", "source_file", "source_row", "reason", "detail"]
ATTRITION_COLUMNS = [
    "region",
    "wave",
    "raw_rows",
    "no_consent",
    "incomplete",
    "duplicate",
    "test",
    "speeder",
    "unknown_partnership",
    "analysed",
]
ISSUE_COLUMNS = ["region", "wave", "source_file", "source_row", "column", "problem", "value"]

LIME = "helmond/2024/results-survey333333.csv"
QUALTRICS = "den-bosch/Monitor DLR Den Bosch 2024.csv"
# Everything personal the exports below carry; none of it may reach a cleaning output.
PERSONAL = [
    "tokSecret1",
    "tokSecret2",
    "tokSecret3",
    "tokSecret4",
    "tokSecret5",
    "10.1.2.3",
    "89.1.2.3",
    "R_test",
    "fleur.jansen",
    "k.smit",
    "Smit",
    "Jansen",
    "Fleur",
    "jan@jansen.nl",
    "06-12345678",
    "0612345678",
    "piet.puk@example.nl",
    "51.68",
    "https://example.nl/jan",
]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("private")
    registry = write_registry(folder)
    ok = "2024-03-20 10:00:00"
    write_limesurvey(
        folder / LIME,
        [
            lime_response(
                "tokSecret1", "Route ICT Helmond", ok, seed=1, comment="Bel me op 06-12345678 of mail jan@jansen.nl"
            ),
            lime_response("tokSecret2", "jan@jansen.nl 0612345678", ok, seed=2),  # personal data as the route
            lime_response("tokSecret3", "Route ICT Helmond", ok, seed=3, hours="bel 06-12345678"),
            lime_response("tokSecret4", "Route ICT Helmond", ok, seed=4, consent="Nee", comment="piet.puk@example.nl"),
            lime_response("tokSecret1", "Route ICT Helmond", "2024-03-19 10:00:00", seed=5),
            lime_response("tokSecret5", "https://example.nl/jan", ok, seed=6, seconds=20),
        ],
    )
    write_qualtrics(
        folder / QUALTRICS,
        [
            qualtrics_response("Fleur.Jansen@school.nl", "DBO-02", "2024-03-01 10:00:00", seed=7),
            qualtrics_response("fleur.jansen@school.nl", "DBO-02", "2024-03-02 10:00:00", seed=8, finished=False),
            qualtrics_response("k.smit@school.nl", "DBO-02", "2024-01-02 10:00:00", seed=9, last_name="Smit"),
        ],
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BORGING_SECRET", SECRET)
        parts = [
            ingest(folder, "helmond", LIME, 2024, registry, unknown_labels="missing"),
            ingest(folder, "den-bosch", QUALTRICS, 2024, registry),
        ]
    table = pd.concat([p[0] for p in parts], ignore_index=True)
    issues = pd.concat([p[1] for p in parts], ignore_index=True)
    return clean(table, registry_frame(), Q, CleaningSettings(fieldwork()), issues)


def test_each_output_has_the_contract_columns_in_order(outputs):
    responses, exclusions, attrition, issues = outputs
    assert list(responses.columns) == RESPONSE_COLUMNS
    assert list(exclusions.columns) == EXCLUSION_COLUMNS
    assert list(attrition.columns) == ATTRITION_COLUMNS
    assert list(issues.columns) == ISSUE_COLUMNS


def test_the_outputs_have_the_contract_types(outputs):
    responses, exclusions, attrition, _ = outputs
    assert responses["wave"].dtype == "int64" and responses["source_row"].dtype == "int64"
    assert all(str(responses[c].dtype) == "Int64" for c in Q.item_codes)
    assert all(responses[s].dtype == "float64" for s in ["REL", "FAC", "PRO", "ORG", "DUR"])
    assert str(responses["partnership_age"].dtype) == "Int64"
    assert set(exclusions["reason"]) <= set(ATTRITION_COLUMNS[3:-1])
    assert all(attrition[c].dtype == "int64" for c in ATTRITION_COLUMNS[2:])
    assert (attrition["raw_rows"] == attrition[ATTRITION_COLUMNS[3:]].sum(axis=1)).all()


def test_the_outputs_are_sorted_by_region_wave_file_and_row(outputs):
    responses, exclusions, attrition, issues = outputs
    keys = ["region", "wave", "source_file", "source_row"]
    for frame in (responses, exclusions):
        assert frame[keys].equals(frame[keys].sort_values(keys).reset_index(drop=True))
    assert attrition[["region", "wave"]].equals(
        attrition[["region", "wave"]].sort_values(["region", "wave"]).reset_index(drop=True)
    )


def test_every_exclusion_reason_occurs_in_this_export(outputs):
    assert set(outputs[1]["reason"]) == {
        "no_consent",
        "duplicate",
        "unknown_partnership",
        "speeder",
        "incomplete",
        "test",
    }


def test_no_personal_data_reaches_any_output(outputs):
    for name, frame in zip(["responses", "exclusions", "attrition", "value_issues"], outputs):
        text = frame.to_csv(index=False)
        leaked = [p for p in PERSONAL if p.casefold() in text.casefold()]
        assert not leaked, f"{name} holds {leaked}"


def test_the_exclusion_detail_of_a_personal_route_answer_is_scrubbed(outputs):
    exclusions = outputs[1]
    detail = exclusions.loc[exclusions["reason"] == "unknown_partnership", "detail"].tolist()
    assert detail == ["not in the registry: '[e-mail] [telefoon]'"]


def test_a_value_problem_lists_the_value_without_a_phone_number(outputs):
    issues = outputs[3]
    assert issues[["source_row", "column", "problem", "value"]].values.tolist() == [
        [2, "fac_hours", "not_a_number", "bel [telefoon]"]
    ]


def test_analysed_comments_are_scrubbed(outputs):
    responses = outputs[0]
    comment = responses.loc[responses["source_file"] == LIME, "comment"].dropna().tolist()
    assert comment == ["Bel me op [telefoon] of mail [e-mail]"]


EMAILS = st.from_regex(r"[a-z][a-z0-9._+-]{0,12}@[a-z0-9][a-z0-9-]{0,10}\.(nl|com|org|eu)", fullmatch=True)
PHONES = st.builds(
    lambda prefix, sep, digits: prefix + sep + digits,
    st.sampled_from(["06", "+316", "00316", "040", "020"]),
    st.sampled_from(["", "-", " "]),
    st.from_regex(r"[1-9][0-9]{7}", fullmatch=True),
)
WORDS = st.text(alphabet=st.characters(whitelist_categories=("L", "Zs"), max_codepoint=0x24F), max_size=20)


@settings(max_examples=200, deadline=None)
@given(before=WORDS, email=EMAILS, phone=PHONES, after=WORDS)
def test_echo_never_repeats_an_email_address_or_phone_number(before, email, phone, after):
    text = echo(f"{before} {email} {phone} {after}", limit=1000)
    assert email not in text and "@" not in text
    assert phone.replace(" ", "").replace("-", "")[-8:] not in text.replace(" ", "").replace("-", "")


@settings(max_examples=50, deadline=None)
@given(value=st.text(max_size=300))
def test_the_unknown_partnership_detail_is_short(value):
    table = harmonised_rows(
        [
            {
                "region": "helmond",
                "wave": 2024,
                "source_file": "a.csv",
                "source_row": 0,
                "partnership_id": None,
                "partnership_value": value,
            }
        ]
    )
    _, exclusions, _, _ = clean(table, registry_frame(), Q, CleaningSettings(fieldwork()))
    detail = exclusions["detail"].iloc[0]
    assert len(detail) <= len("not in the registry: ") + 2 + 4 * 80
