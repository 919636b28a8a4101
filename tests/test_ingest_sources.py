"""Per-source settings: one typed object per file, built once from the config, with the schema's keys and defaults."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.ingest.sources import Fields, Marker, SourceSettings, file_units, merged_settings

REPO = Path(__file__).resolve().parents[1]
SCHEMA_PATH = REPO / "workflow" / "schemas" / "config.schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))
SOURCE = SCHEMA["$defs"]["source"]["properties"]
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))


def test_the_settings_have_the_schemas_keys():
    """`files` and `waves` are merged away; a file's own `wave` joins them."""
    schema_keys = set(SOURCE) - {"files", "waves"} | {"wave"}
    assert {f.name for f in dataclasses.fields(SourceSettings)} == schema_keys
    assert {f.name for f in dataclasses.fields(Fields)} == set(SOURCE["fields"]["properties"])


def test_the_settings_defaults_are_the_schemas():
    defaults = {
        f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
        for f in dataclasses.fields(SourceSettings)
        if f.name != "tool"
    }
    for key, spec in SOURCE.items():
        if "default" in spec:
            expected = tuple(spec["default"]) if isinstance(spec["default"], list) else spec["default"]
            assert defaults[key] == expected, key


def test_a_validated_config_and_the_raw_config_give_the_same_settings():
    """Snakemake fills in the schema's defaults; the settings must not depend on whether it did."""
    validated = copy.deepcopy(CONFIG)
    validate(validated, str(SCHEMA_PATH))
    assert validated["regions"]["helmond"]["sources"][0]["unknown_labels"] == "error"  # defaults were filled in
    assert [u.settings for u in file_units(validated)] == [u.settings for u in file_units(CONFIG)]


def test_settings_survive_the_trip_through_rule_params():
    for unit in file_units(CONFIG):
        assert SourceSettings.from_config(unit.settings.as_dict()) == unit.settings


def test_the_example_settings_as_read():
    units = {}
    for u in file_units(CONFIG):
        units.setdefault(u.settings.tool, u)
    spss = units["spss"].settings
    assert spss.wave is None and spss.wave_column == "jaar"
    assert spss.fields.completed == Marker(("status",), ("Volledig",))
    assert units["limesurvey"].settings.wave == 2023 and units["limesurvey"].settings.items["rel_know"] == "REL[SQ001]"
    assert units["msforms"].settings.items_by_wording and units["msforms"].settings.label_set("likert") == "likert"


def test_a_wave_override_is_merged_and_checked():
    config = copy.deepcopy(CONFIG)
    source = config["regions"]["helmond"]["sources"][0]
    source["waves"] = {"2024": {"items": {"rel_know": "REL_1"}, "fields": {"completed": "always"}}}
    by_wave = {u.settings.wave: u.settings for u in file_units(config) if u.region == "helmond"}
    assert by_wave[2024].items["rel_know"] == "REL_1" and by_wave[2024].items["rel_trust"] == "REL[SQ002]"
    assert by_wave[2024].fields.completed == "always" and by_wave[2024].fields.respondent_id == "token"
    assert by_wave[2023].items["rel_know"] == "REL[SQ001]" and by_wave[2023].fields.completed is None
    source["waves"] = {"2024": {"item": {"rel_know": "REL_1"}}}  # a typo the schema cannot see (waves are free-form)
    with pytest.raises(InputError) as info:
        file_units(config)
    assert "regions.helmond (helmond/2024/results-survey861633.csv)" in str(info.value) and "'item'" in str(info.value)


@pytest.mark.parametrize(
    "spec, words",
    [
        ({"tool": "delimited", "unknown_labels": "ignore"}, ["unknown_labels", "missing"]),
        ({"tool": "delimited", "fields": {"submited": "Datum"}}, ["submited", "fields"]),
        ({"tool": "delimited", "fields": {"completed": "sometimes"}}, ["sometimes", "always"]),
    ],
)
def test_a_setting_the_code_cannot_use_is_refused_with_its_place(spec, words):
    with pytest.raises(InputError) as info:
        SourceSettings.from_config(spec, "regions.zeeland (a.csv)")
    text = str(info.value)
    assert "regions.zeeland (a.csv)" in text and all(w in text for w in words)


def test_the_settings_are_frozen():
    settings = SourceSettings.from_config({"tool": "delimited"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.encoding = "cp1252"


def test_a_wave_cannot_switch_the_tool():
    source = {"tool": "limesurvey", "files": [{"path": "a.csv", "wave": 2024}], "waves": {2024: {"tool": "msforms"}}}
    with pytest.raises(InputError, match="cannot change the tool"):
        merged_settings(source, source["files"][0])
