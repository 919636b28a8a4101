"""The report's year is the year the data is about: the latest wave most regions have, or the configured one."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.report.translate import Translator
from borgingsmonitor.report.year import choose_report_year


def responses(waves_of: dict[str, list[int]]) -> pd.DataFrame:
    rows = [{"region": region, "wave": wave} for region, waves in waves_of.items() for wave in waves for _ in range(3)]
    return pd.DataFrame(rows)


FOUR = {
    "helmond": [2023, 2024, 2025],
    "den-bosch": [2023, 2024, 2025],
    "west-brabant": [2023, 2024, 2025],
    "noord-west-veluwe": [2023, 2024, 2025],
}


def test_one_region_ahead_does_not_make_the_year():
    data = responses({**FOUR, "helmond": [2023, 2024, 2025, 2026]})
    assert choose_report_year(data).year == 2025
    assert choose_report_year(data).missing == ()


def test_the_regions_without_the_chosen_year_are_named():
    data = responses({**FOUR, "west-brabant": [2023, 2024]})
    chosen = choose_report_year(data)
    assert (chosen.year, chosen.missing) == (2025, ("west-brabant",))


def test_a_tie_stops_and_asks_for_report_year():
    data = responses({**FOUR, "helmond": [2023, 2024, 2025, 2026], "den-bosch": [2026]})
    with pytest.raises(InputError, match="report.year") as err:
        choose_report_year(data)
    assert "exactly half" in str(err.value) and "2026: 2 of 4" in str(err.value)


def test_no_wave_in_most_regions_stops():
    with pytest.raises(InputError, match="no wave is in more than half"):
        choose_report_year(responses({"a": [2023], "b": [2024], "c": [2025]}))


def test_a_configured_year_wins_and_still_names_the_regions_without_it():
    data = responses({**FOUR, "helmond": [2023, 2024, 2025, 2026]})
    chosen = choose_report_year(data, 2026)
    assert chosen.year == 2026 and len(chosen.missing) == 3


def test_one_region_has_its_own_latest_year():
    assert choose_report_year(responses({"helmond": [2023, 2025]})).year == 2025


@given(st.dictionaries(st.sampled_from("abcdefg"), st.sets(st.integers(2020, 2027), min_size=1), min_size=1))
def test_the_chosen_year_is_had_by_more_than_half_and_no_later_year_by_half_or_more(waves_of):
    data = responses({region: sorted(waves) for region, waves in waves_of.items()})
    n = len(waves_of)
    have = {w: sum(w in ws for ws in waves_of.values()) for ws in waves_of.values() for w in ws}
    try:
        chosen = choose_report_year(data)
    except InputError:
        assert not any(2 * k > n for k in have.values()) or any(
            2 * k == n and w > max(x for x, c in have.items() if 2 * c > n) for w, k in have.items()
        )
        return
    assert 2 * have[chosen.year] > n
    assert all(2 * k < n for w, k in have.items() if w > chosen.year)
    assert set(chosen.missing) == {r for r, ws in waves_of.items() if chosen.year not in ws}


@pytest.mark.parametrize("language, one, many", [("nl", "1 regio", "4 regio's"), ("en", "1 region", "4 regions")])
def test_counts_are_singular_for_one(language, one, many):
    t = Translator(language)
    assert t.count("regions", 1) == one and t.count("regions", 4) == many
    assert t.count("partnerships", 1) in ("1 leerroute", "1 learning route")


def test_the_report_summary_names_the_region_without_the_year_and_counts_in_the_singular():
    import numpy as np
    from fixtures.report import QUESTIONNAIRE, build_registry, build_responses, build_tables

    from borgingsmonitor.core.questionnaire import load_questionnaire
    from borgingsmonitor.report.content import build_report
    from borgingsmonitor.report.document import ReportInputs

    rng = np.random.default_rng(5)
    questionnaire = load_questionnaire(QUESTIONNAIRE)
    registry = build_registry(rng)
    data = build_responses(rng, registry, questionnaire)
    data = data[~((data["region"] == "west-brabant") & (data["wave"] == 2025))]
    tables = {name.split("/")[-1][:-4]: t for name, t in build_tables(rng, data).items()}
    registry = registry.assign(
        partnership_id=registry["partnership_id"].str.strip(), region=registry["region"].str.strip()
    )
    doc = build_report(ReportInputs(data, tables, registry, questionnaire, {}, {}, language="nl"))
    summary = next(b for b in doc.blocks if b.kind == "bullets").items
    assert summary[0].startswith("In 2025 ") and "3 regio's" in summary[0]
    assert "Uit West-Brabant zijn er geen antwoorden uit 2025" in summary[1]
