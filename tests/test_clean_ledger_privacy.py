"""The ledger's detail quotes what a respondent typed as their partnership only after the scrubbing
comments get (regular expressions, the config's names, and deduce), never a person's name."""

from __future__ import annotations

import pandas as pd
from fixtures.clean import (
    CONFIG,
    PRIVACY,
    QUESTIONNAIRE,
    SECRET,
    Q,
    fieldwork,
    lime_response,
    region_spec,
    registry_frame,
    source_settings,
    write_limesurvey,
    write_registry,
)

from borgingsmonitor.clean.rules import CleaningSettings, clean
from borgingsmonitor.ingest.sources import FileUnit
from borgingsmonitor.ingest.steps import read_export

LIME = "helmond/2024/results-survey555555.csv"
OK = "2024-03-20 10:00:00"


def ledger(tmp_path, monkeypatch, answers, privacy):
    registry = write_registry(tmp_path)
    write_limesurvey(tmp_path / LIME, [lime_response(f"tok{i}", a, OK, seed=i) for i, a in enumerate(answers)])
    monkeypatch.setenv("BORGING_SECRET", SECRET)
    unit = FileUnit.from_params("helmond", "lime", LIME, source_settings("helmond") | {"wave": 2024})
    table, issues = read_export(
        str(tmp_path / LIME),
        unit,
        region_spec("helmond"),
        str(QUESTIONNAIRE),
        str(registry),
        CONFIG.get("label_sets", {}),
        PRIVACY | privacy,
    )
    exclusions = clean(table, registry_frame(), Q, CleaningSettings(fieldwork()), issues)[1]
    return exclusions[exclusions["reason"] == "unknown_partnership"]["detail"].tolist(), table


def test_a_persons_name_in_a_partnership_answer_is_scrubbed_by_deduce(tmp_path, monkeypatch):
    details, _ = ledger(
        tmp_path, monkeypatch, ["De route van Jan de Vries in Helmond", "Route ICT Helmond"], {"use_deduce": True}
    )
    assert len(details) == 1 and details[0].startswith("not in the registry")
    assert "Jan" not in details[0] and "Vries" not in details[0]


def test_the_configs_names_and_contact_details_are_scrubbed_from_the_detail(tmp_path, monkeypatch):
    answers = ["Groep van Wouterina, bel 06-12345678", "mail piet.puk@example.nl"]
    details, _ = ledger(tmp_path, monkeypatch, answers, {"use_deduce": False, "scrub_names": ["Wouterina"]})
    text = " ".join(details)
    assert len(details) == 2 and "[naam]" in text and "[telefoon]" in text and "[e-mail]" in text
    assert not any(s in text for s in ("Wouterina", "06-12345678", "piet.puk"))


def test_a_resolved_answer_is_not_kept_at_all(tmp_path, monkeypatch):
    _, table = ledger(tmp_path, monkeypatch, ["Route ICT Helmond", "Onbekende route"], {"use_deduce": False})
    assert table["partnership_value"].isna().tolist() == [True, False]
    assert pd.notna(table["partnership_id"].iloc[0])


def test_a_name_typed_where_a_number_belongs_is_scrubbed_from_the_value_issues(tmp_path, monkeypatch):
    registry = write_registry(tmp_path)
    write_limesurvey(
        tmp_path / LIME,
        [
            lime_response("tok1", "Route ICT Helmond", OK, seed=1, hours="vraag Wouterina, 06-12345678"),
            lime_response("tok2", "Route ICT Helmond", OK, seed=2, hours="400"),
        ],
    )
    monkeypatch.setenv("BORGING_SECRET", SECRET)
    unit = FileUnit.from_params("helmond", "lime", LIME, source_settings("helmond") | {"wave": 2024})
    _, issues = read_export(
        str(tmp_path / LIME),
        unit,
        region_spec("helmond"),
        str(QUESTIONNAIRE),
        str(registry),
        CONFIG.get("label_sets", {}),
        PRIVACY | {"use_deduce": False, "scrub_names": ["Wouterina"]},
    )
    values = issues[issues["column"] == "fac_hours"]["value"].tolist()
    assert values == ["vraag [naam], [telefoon]"]  # 400 is a number: cleaning lists it as out of range
