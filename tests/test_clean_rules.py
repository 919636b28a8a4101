"""Each cleaning rule on small harmonised tables: what it catches, what it leaves, and the order."""

import pandas as pd
import pytest
from fixtures.clean import START_YEAR, Q, harmonised_rows, registry_frame

from borgingsmonitor.clean import rules as cleaning
from borgingsmonitor.clean.rules import REASONS, CleaningSettings, apply_rules, clean, range_issues
from borgingsmonitor.core.errors import InputError

HELMOND_2024 = {"helmond": {"2024": ["2024-03-08", "2024-04-12"]}}
SETTINGS = CleaningSettings(fieldwork=HELMOND_2024)


def rows(*specs, region="helmond", wave=2024, source_file="helmond/2024/a.csv"):
    return harmonised_rows(
        [{"region": region, "wave": wave, "source_file": source_file, "source_row": i} | s for i, s in enumerate(specs)]
    )


def fates(table, settings=SETTINGS):
    """source_row -> reason, or 'analysed'."""
    analysed, exclusions = apply_rules(table, settings)
    out = {int(r): "analysed" for r in analysed["source_row"]}
    out |= {int(r): reason for r, reason in zip(exclusions["source_row"], exclusions["reason"])}
    return out


def test_the_rules_run_in_the_protocols_order():
    assert REASONS == ("no_consent", "incomplete", "duplicate", "test", "speeder", "unknown_partnership")
    assert list(cleaning.RULES) == list(REASONS)
    assert all(callable(rule) for rule in cleaning.RULES.values())


def test_no_consent_catches_nee_and_an_unanswered_consent_of_a_finished_response():
    table = rows(
        {},
        {"consent": "no", "respondent_key": None},
        {"consent": None, "respondent_key": None},
        {"consent": None, "respondent_key": None, "completed": False},
    )
    assert fates(table) == {0: "analysed", 1: "no_consent", 2: "no_consent", 3: "incomplete"}
    mask, detail = cleaning.no_consent(table, SETTINGS)
    assert list(detail[mask]) == ["consent: no", "consent not answered"]


def test_incomplete_is_the_tools_own_marker():
    table = rows({"completed": False}, {"completed": True}, {"completed": None})
    assert fates(table) == {0: "incomplete", 1: "analysed", 2: "incomplete"}


def test_a_duplicate_keeps_the_latest_submission():
    key = "a" * 20
    table = rows(
        {"respondent_key": key, "submitted": "2024-03-21 09:00"},
        {"respondent_key": key, "submitted": "2024-03-25 09:00"},
        {"respondent_key": key, "submitted": "2024-03-10 09:00"},
        {"respondent_key": "b" * 20},
    )
    assert fates(table) == {0: "duplicate", 1: "analysed", 2: "duplicate", 3: "analysed"}
    _, exclusions = apply_rules(table, SETTINGS)
    assert set(exclusions["detail"]) == {"later submission kept (row 1)"}


def test_a_duplicate_keeps_the_latest_complete_submission_not_a_later_unfinished_one():
    key = "a" * 20
    table = rows(
        {"respondent_key": key, "submitted": "2024-03-21 09:00"},
        {"respondent_key": key, "submitted": None, "completed": False},
    )
    assert fates(table) == {0: "analysed", 1: "incomplete"}


def test_respondents_without_a_key_are_never_merged():
    table = rows({"respondent_key": None}, {"respondent_key": None}, {"respondent_key": None})
    assert fates(table) == {0: "analysed", 1: "analysed", 2: "analysed"}


def test_the_same_key_in_another_wave_is_the_panel_not_a_duplicate():
    key = "c" * 20
    settings = CleaningSettings(
        {"helmond": {"2023": ["2023-03-09", "2023-04-20"], "2024": ["2024-03-08", "2024-04-12"]}}
    )
    table = pd.concat(
        [
            rows({"respondent_key": key}),
            rows({"respondent_key": key, "submitted": "2023-03-20"}, wave=2023, source_file="helmond/2023/a.csv"),
        ],
        ignore_index=True,
    )
    analysed, exclusions = apply_rules(table, settings)
    assert exclusions.empty and len(analysed) == 2


def test_the_same_key_twice_in_one_wave_is_a_duplicate_even_across_files_and_regions():
    """The protocol: the same respondent twice in one wave (a region's second export, or a second region)."""
    key = "d" * 20
    settings = CleaningSettings(
        {"helmond": {"2024": ["2024-03-08", "2024-04-12"]}, "den-bosch": {"2024": ["2024-02-15", "2024-03-21"]}}
    )
    table = pd.concat(
        [
            rows({"respondent_key": key, "submitted": "2024-03-18"}),
            rows({"respondent_key": key, "submitted": "2024-03-19"}, source_file="helmond/2024/b.csv"),
            rows(
                {"respondent_key": key, "submitted": "2024-03-20", "partnership_id": "DBO-02"},
                region="den-bosch",
                source_file="den-bosch/2024.csv",
            ),
        ],
        ignore_index=True,
    )
    analysed, exclusions = apply_rules(table, settings)
    assert list(analysed["source_file"]) == ["den-bosch/2024.csv"]
    assert list(exclusions["reason"]) == ["duplicate", "duplicate"]
    assert list(exclusions["region"]) == ["helmond", "helmond"]
    assert set(exclusions["detail"]) == {"later submission kept (den-bosch/2024.csv row 0)"}


@pytest.mark.parametrize(
    ("submitted", "fate"),
    [
        ("2024-03-07 23:59:59", "test"),
        ("2024-03-08 00:00:00", "analysed"),
        ("2024-04-12 23:59:59", "analysed"),
        ("2024-04-13 00:00:00", "test"),
        ("2023-03-20 10:00:00", "test"),
        (None, "analysed"),
    ],
)
def test_the_fieldwork_window_includes_its_first_and_last_day(submitted, fate):
    assert fates(rows({"submitted": submitted})) == {0: fate}


def test_a_response_marked_as_test_or_preview_is_a_test():
    table = rows({"test_marker": True}, {"test_marker": None}, {"test_marker": False})
    assert fates(table) == {0: "test", 1: "analysed", 2: "analysed"}


def test_the_fieldwork_window_may_be_keyed_by_an_integer_year():
    settings = CleaningSettings({"helmond": {2024: ["2024-03-08", "2024-04-12"]}})
    assert fates(rows({"submitted": "2024-03-01"}, {}), settings) == {0: "test", 1: "analysed"}


def test_a_wave_without_a_fieldwork_window_names_the_config_key():
    table = rows({}, wave=2026, source_file="helmond/2026/a.csv")
    with pytest.raises(InputError) as err:
        apply_rules(table, SETTINGS)
    message = str(err.value)
    assert "regions.helmond.fieldwork" in message and "2026" in message
    with pytest.raises(InputError, match=r"regions\.den-bosch\.fieldwork"):
        apply_rules(rows({}, region="den-bosch"), SETTINGS)


@pytest.mark.parametrize(
    ("seconds", "fate"),
    [(40.0, "speeder"), (59.9, "speeder"), (60.0, "analysed"), (61.0, "analysed"), (None, "analysed")],
)
def test_a_speeder_is_under_the_configured_seconds_where_recorded(seconds, fate):
    assert fates(rows({"duration_s": seconds})) == {0: fate}


def test_the_speeder_threshold_comes_from_the_settings():
    table = rows({"duration_s": 100.0})
    assert fates(table, CleaningSettings(HELMOND_2024, speeder_seconds=120)) == {0: "speeder"}
    assert fates(table, CleaningSettings(HELMOND_2024, speeder_seconds=90)) == {0: "analysed"}


def test_an_unknown_partnership_is_excluded_and_its_answer_listed():
    table = rows(
        {"partnership_id": None, "partnership_value": "Route Bestaat Niet"},
        {"partnership_id": None, "partnership_value": None},
    )
    analysed, exclusions = apply_rules(table, SETTINGS)
    assert analysed.empty
    assert list(exclusions["reason"]) == ["unknown_partnership"] * 2
    assert list(exclusions["detail"]) == ["not in the registry: 'Route Bestaat Niet'", "no partnership answered"]


def test_a_row_caught_by_several_rules_is_listed_under_the_first():
    key = "e" * 20
    table = rows(
        {"consent": "no", "respondent_key": None, "completed": False},  # no_consent + incomplete
        {"completed": False, "duration_s": 10.0, "partnership_id": None},  # incomplete + speeder + unknown
        {"respondent_key": key, "submitted": "2024-03-10", "duration_s": 5.0},  # duplicate + speeder
        {"respondent_key": key, "submitted": "2024-03-11"},
        {"submitted": "2024-01-01", "duration_s": 5.0, "partnership_id": None},  # test + speeder + unknown
        {"duration_s": 5.0, "partnership_id": None},  # speeder + unknown
    )
    assert fates(table) == {0: "no_consent", 1: "incomplete", 2: "duplicate", 3: "analysed", 4: "test", 5: "speeder"}


def test_each_rule_is_a_function_of_the_table_and_settings_returning_a_mask_and_detail():
    table = rows({}, {"completed": False}, {"duration_s": 1.0})
    for reason in REASONS:
        mask, detail = cleaning.RULES[reason](table, SETTINGS)
        assert mask.dtype == bool and mask.index.equals(table.index), reason
        assert detail.index.equals(table.index), reason
        assert detail[mask].map(lambda d: isinstance(d, str) and d != "").all(), reason


def test_out_of_range_numbers_become_missing_and_are_listed():
    table = rows(
        {"fac_hours": 400.0, "years_involved": 2.5},
        {"fac_hours": -1.0},
        {"fac_hours": 40.0, "years_involved": 30.0},
        {"fac_hours": None},
    )
    out, issues = range_issues(table, Q)
    assert out["fac_hours"].isna().tolist() == [True, True, False, True]
    assert out["years_involved"].isna().tolist() == [True, False, False, False]
    assert len(out) == len(table)
    listed = {
        (int(r), c, p, v) for r, c, p, v in issues[["source_row", "column", "problem", "value"]].itertuples(index=False)
    }
    assert listed == {
        (0, "fac_hours", "out_of_range", "400"),
        (0, "years_involved", "not_an_integer", "2.5"),
        (1, "fac_hours", "out_of_range", "-1"),
    }


def test_clean_adds_partnership_age_from_the_registry_and_scores_the_scales():
    table = rows({"partnership_id": "HEL-07"}, {"partnership_id": "HEL-01", "rel_distant": 1, "rel_know": 5})
    responses, *_ = clean(table, registry_frame(), Q, SETTINGS)
    ages = dict(zip(responses["partnership_id"], responses["partnership_age"]))
    assert ages == {"HEL-07": 2024 - START_YEAR["HEL-07"], "HEL-01": 2024 - START_YEAR["HEL-01"]}
    assert str(responses["partnership_age"].dtype) == "Int64"
    # rel_distant is reverse-keyed: 1 counts as 5; the other REL items are 3 except rel_know = 5.
    rel = responses.set_index("partnership_id").loc["HEL-01", "REL"]
    assert rel == pytest.approx((5 + 3 + 3 + 3 + 3 + 5) / 6)
    assert responses.loc[responses["partnership_id"] == "HEL-01", "rel_distant"].iloc[0] == 1


def test_value_issues_of_excluded_rows_are_not_listed():
    table = rows({"fac_hours": 400.0}, {"fac_hours": 400.0, "completed": False})
    ingest_issues = pd.DataFrame(
        [
            {
                "region": "helmond",
                "wave": 2024,
                "source_file": "helmond/2024/a.csv",
                "source_row": 1,
                "column": "years_involved",
                "problem": "not_a_number",
                "value": "twee",
            }
        ]
    )
    _, _, _, issues = clean(table, registry_frame(), Q, SETTINGS, ingest_issues)
    assert issues["source_row"].tolist() == [0]


def test_clean_works_when_there_is_no_value_problem_at_all():
    responses, exclusions, attrition, issues = clean(rows({}, {}), registry_frame(), Q, SETTINGS)
    assert len(responses) == 2 and exclusions.empty and issues.empty
    assert list(issues.columns) == cleaning.ISSUE_COLUMNS
    assert attrition[["raw_rows", "analysed"]].values.tolist() == [[2, 2]]


def test_an_unknown_partnership_answer_with_a_nul_character_keeps_its_own_detail():
    """The texts are made once per distinct answer (core.distinct), which keeps '3' and '3\\x00A' apart."""
    t = pd.DataFrame(
        {
            "partnership_id": pd.array([None, None, None], dtype="string"),
            "partnership_value": pd.array(["3", "3\x00A", None], dtype="string"),
        }
    )
    mask, detail = cleaning.RULES["unknown_partnership"](t, SETTINGS)
    assert mask.tolist() == [True, True, True]
    assert detail.tolist() == ["not in the registry: '3'", "not in the registry: '3\\x00A'", "no partnership answered"]
