"""The ledger: every raw row analysed or excluded exactly once, per region and wave; broken ledgers fail loudly."""

import pandas as pd
import pytest
from fixtures.clean import Q, harmonised_rows, registry_frame, typed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borgingsmonitor.clean.rules import REASONS, CleaningSettings, attrition, check_ledger, clean, row_keys
from borgingsmonitor.ingest.schema import harmonised_columns, harmonised_schema

FIELDWORK = {
    "helmond": {"2023": ["2023-03-09", "2023-04-20"], "2024": ["2024-03-08", "2024-04-12"]},
    "den-bosch": {"2023": ["2023-02-16", "2023-03-30"], "2024": ["2024-02-15", "2024-03-21"]},
}
SETTINGS = CleaningSettings(FIELDWORK)
FILES = {
    ("helmond", 2023): ["helmond/2023/a.csv"],
    ("helmond", 2024): ["helmond/2024/a.csv", "helmond/2024/b.csv"],
    ("den-bosch", 2023): ["den-bosch/2023.csv"],
    ("den-bosch", 2024): ["den-bosch/2024.csv"],
}
KEYS = [f"{i:020x}" for i in range(1, 6)]

row_strategy = st.fixed_dictionaries(
    {
        "place": st.sampled_from(sorted(FILES)),
        "file": st.integers(0, 1),
        "consent": st.sampled_from(["yes", "yes", "yes", "no", None]),
        "completed": st.sampled_from([True, True, True, False]),
        "respondent_key": st.sampled_from(KEYS + [None]),
        "day": st.one_of(st.none(), st.integers(-20, 60)),
        "minute": st.integers(0, 1439),
        "test_marker": st.sampled_from([False, False, True, None]),
        "duration_s": st.one_of(st.none(), st.sampled_from([5.0, 59.9, 60.0, 600.0])),
        "partnership_id": st.sampled_from(["HEL-07", "HEL-01", "DBO-02", None]),
        "fac_hours": st.one_of(st.none(), st.sampled_from([0.0, 3.0, 40.0, 41.0, 400.0])),
        "item": st.one_of(st.none(), st.integers(1, 5)),
    }
)


def build(specs) -> pd.DataFrame:
    """A harmonised table from generated rows, consistent with the schema (no consent, no key)."""
    rows, counters = [], {}
    for spec in specs:
        region, wave = spec["place"]
        source_file = FILES[spec["place"]][spec["file"] % len(FILES[spec["place"]])]
        counters[source_file] = counters.get(source_file, -1) + 1
        start = pd.Timestamp(FIELDWORK[region][str(wave)][0])
        row = {
            "region": region,
            "wave": wave,
            "source_file": source_file,
            "source_row": counters[source_file],
            "completed": spec["completed"],
            "test_marker": spec["test_marker"],
            "duration_s": spec["duration_s"],
            "consent": spec["consent"],
            "respondent_key": spec["respondent_key"],
            "partnership_id": spec["partnership_id"],
            "fac_hours": spec["fac_hours"],
            "submitted": None
            if spec["day"] is None
            else start + pd.Timedelta(days=spec["day"], minutes=spec["minute"]),
            "rel_know": spec["item"],
        }
        if spec["consent"] != "yes":
            row |= {"respondent_key": None, "partnership_id": None, "partnership_value": None, "duration_s": None}
        rows.append(row)
    return harmonised_rows(rows)


def true(value) -> bool:
    return not pd.isna(value) and bool(value)


def expected_fates(table: pd.DataFrame) -> dict:
    """An independent reading of the protocol, row by row: (file, row) -> reason or 'analysed'."""
    fates, candidates = {}, []
    for r in table.itertuples(index=False):
        key = (r.source_file, r.source_row)
        if (not pd.isna(r.consent) and r.consent == "no") or (pd.isna(r.consent) and true(r.completed)):
            fates[key] = "no_consent"
        elif not true(r.completed):
            fates[key] = "incomplete"
        else:
            candidates.append(r)
    latest = {}
    for r in candidates:
        if pd.notna(r.respondent_key):
            order = (pd.Timestamp.min if pd.isna(r.submitted) else r.submitted, r.source_file, r.source_row)
            group = (r.wave, r.respondent_key)
            latest[group] = max(latest.get(group, order), order)
    for r in candidates:
        key = (r.source_file, r.source_row)
        first, last = (pd.Timestamp(d) for d in FIELDWORK[r.region][str(r.wave)])
        if pd.notna(r.respondent_key) and latest[(r.wave, r.respondent_key)][1:] != key:
            fates[key] = "duplicate"
        elif (pd.notna(r.submitted) and not first <= r.submitted < last + pd.Timedelta(days=1)) or true(r.test_marker):
            fates[key] = "test"
        elif pd.notna(r.duration_s) and r.duration_s < 60:
            fates[key] = "speeder"
        elif pd.isna(r.partnership_id):
            fates[key] = "unknown_partnership"
        else:
            fates[key] = "analysed"
    return fates


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(row_strategy, min_size=1, max_size=40))
def test_every_raw_row_is_analysed_or_excluded_once_under_the_first_rule(specs):
    table = build(specs)
    harmonised_schema(Q).validate(table)
    responses, exclusions, attrition_table, issues = clean(table, registry_frame(), Q, SETTINGS)

    analysed = list(map(tuple, responses[["source_file", "source_row"]].to_numpy()))
    excluded = list(map(tuple, exclusions[["source_file", "source_row"]].to_numpy()))
    assert len(analysed) + len(excluded) == len(table)
    assert set(analysed) | set(excluded) == set(map(tuple, table[["source_file", "source_row"]].to_numpy()))
    assert not set(analysed) & set(excluded)

    observed = dict.fromkeys(analysed, "analysed") | {k: r for k, r in zip(excluded, exclusions["reason"])}
    assert observed == expected_fates(table)

    raw = table.groupby(["region", "wave"]).size()
    ledger = attrition_table.set_index(["region", "wave"])
    assert ledger["raw_rows"].to_dict() == raw.to_dict()
    assert (ledger["raw_rows"] == ledger["analysed"] + ledger[list(REASONS)].sum(axis=1)).all()
    per_reason = exclusions.groupby(["region", "wave", "reason"]).size()
    for (region, wave, reason), n in per_reason.items():
        assert ledger.loc[(region, wave), reason] == n
    keyed = responses.dropna(subset=["respondent_key"])
    assert not keyed.duplicated(["wave", "respondent_key"]).any()
    assert responses["fac_hours"].dropna().between(0, 40).all()
    assert set(map(tuple, issues[["source_file", "source_row"]].to_numpy())) <= set(analysed)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(row_strategy, min_size=2, max_size=30), seed=st.integers(0, 2**16))
def test_the_order_of_the_raw_rows_does_not_change_the_outputs(specs, seed):
    table = build(specs)
    shuffled = table.sample(frac=1, random_state=seed).reset_index(drop=True)
    first = clean(table, registry_frame(), Q, SETTINGS)
    second = clean(shuffled, registry_frame(), Q, SETTINGS)
    for a, b in zip(first, second):
        pd.testing.assert_frame_equal(a, b)


def ledger_parts():
    table = build(
        [
            {
                "place": ("helmond", 2024),
                "file": 0,
                "consent": c,
                "completed": True,
                "respondent_key": None,
                "day": 3,
                "minute": 0,
                "test_marker": False,
                "duration_s": 600.0,
                "partnership_id": "HEL-07",
                "fac_hours": 3.0,
                "item": 3,
            }
            for c in ["yes", "yes", "no", "yes"]
        ]
    )
    responses, exclusions, attrition_table, _ = clean(table, registry_frame(), Q, SETTINGS)
    return table, responses, exclusions, attrition_table


def test_check_ledger_accepts_a_balanced_ledger():
    check_ledger(*ledger_parts())


def test_a_row_that_vanished_breaks_the_ledger():
    table, responses, exclusions, attrition_table = ledger_parts()
    with pytest.raises(AssertionError, match="ledger broken"):
        check_ledger(table, responses.iloc[1:], exclusions, attrition(table, exclusions, responses.iloc[1:]))


def test_a_row_both_analysed_and_excluded_breaks_the_ledger():
    table, responses, exclusions, attrition_table = ledger_parts()
    both = pd.concat(
        [
            exclusions,
            responses.iloc[:1][["region", "wave", "source_file", "source_row"]].assign(reason="test", detail=""),
        ]
    )
    with pytest.raises(AssertionError, match="both analysed and excluded"):
        check_ledger(table, both, responses, attrition_table)


def test_a_row_listed_twice_breaks_the_ledger():
    table, responses, exclusions, attrition_table = ledger_parts()
    with pytest.raises(AssertionError, match="ledger broken"):
        check_ledger(table, pd.concat([exclusions, exclusions]), responses, attrition_table)


def test_a_row_that_was_never_raw_breaks_the_ledger():
    table, responses, exclusions, attrition_table = ledger_parts()
    stranger = exclusions.assign(source_row=99)
    with pytest.raises(AssertionError, match="not exactly the raw rows"):
        check_ledger(table, stranger, responses, attrition_table)


def test_an_attrition_table_that_does_not_add_up_breaks_the_ledger():
    table, responses, exclusions, attrition_table = ledger_parts()
    wrong = attrition_table.assign(raw_rows=attrition_table["raw_rows"] + 1)
    with pytest.raises(AssertionError, match="helmond 2024"):
        check_ledger(table, exclusions, responses, wrong)


def test_clean_fails_loudly_when_a_rule_loses_a_row(monkeypatch):
    import borgingsmonitor.clean.rules as cleaning

    def losing(t, s):  # a broken rule: drops rows without listing them
        return t.iloc[1:], pd.DataFrame(columns=cleaning.EXCLUSION_COLUMNS)

    table = ledger_parts()[0]
    monkeypatch.setattr(cleaning, "apply_rules", losing)
    with pytest.raises(AssertionError, match="ledger broken"):
        clean(table, registry_frame(), Q, SETTINGS)


@settings(max_examples=10, deadline=None)
@given(specs=st.lists(row_strategy, min_size=1, max_size=5))
def test_the_generated_tables_have_the_harmonised_columns_and_types(specs):
    table = build(specs)
    assert list(table.columns) == harmonised_columns(Q)
    assert typed(table).dtypes.equals(table.dtypes)


key_rows = st.lists(st.tuples(st.sampled_from(["a.csv", "b.xlsx", "c/d.sav", ""]), st.integers(0, 2**40)), max_size=30)


@given(key_rows, key_rows)
def test_row_keys_are_equal_exactly_when_file_and_row_are(first, second):
    frames = [
        pd.DataFrame(rows, columns=["source_file", "source_row"]).astype({"source_row": "int64"})
        for rows in (first, second)
    ]
    keys = row_keys(*frames)
    assert [len(k) for k in keys] == [len(first), len(second)]
    pairs = first + second
    flat = list(keys[0]) + list(keys[1])
    for i, a in enumerate(pairs):
        for j, b in enumerate(pairs):
            assert (flat[i] == flat[j]) == (a == b)
