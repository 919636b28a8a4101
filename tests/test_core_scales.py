"""Scale scores: reverse keying exactly once and the two-thirds rule."""

import numpy as np
import pandas as pd
import pytest
from fixtures.measure import QUESTIONNAIRE, simulate_responses
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.scales import keyed_items, min_answered, reverse_key, score_scales

Q = load_questionnaire(QUESTIONNAIRE)


def one_row(**answers) -> pd.DataFrame:
    row = {code: pd.NA for code in Q.item_codes} | answers
    return pd.DataFrame([row]).astype({c: "Int64" for c in Q.item_codes})


def test_rel_distant_is_the_reverse_keyed_item():
    assert Q.reverse_items == ["rel_distant"]


def test_reverse_item_is_reversed_once_in_the_score():
    df = one_row(rel_know=5, rel_trust=5, rel_goodwill=5, rel_levels=5, rel_reciprocity=5, rel_distant=1)
    scored = score_scales(df, Q)
    assert scored.loc[0, "REL"] == 5.0
    # not reversed at all would give (25 + 1) / 6, reversed twice likewise
    assert int(scored.loc[0, "rel_distant"]) == 1


def test_scoring_leaves_items_untouched_and_is_idempotent():
    df = simulate_responses(n_per_region_wave=10, seed=3)
    before = df[Q.item_codes].copy()
    once = score_scales(df, Q)
    twice = score_scales(once, Q)
    pd.testing.assert_frame_equal(once[Q.item_codes], before)
    pd.testing.assert_frame_equal(once, twice)
    assert str(once["rel_distant"].dtype) == "Int64"


def test_keyed_items_reverse_only_reverse_items():
    df = one_row(rel_know=2, rel_distant=2, fac_time=2)
    rel = keyed_items(df, Q, "REL")
    assert rel.loc[0, "rel_distant"] == 4.0
    assert rel.loc[0, "rel_know"] == 2.0
    assert keyed_items(df, Q, "FAC").loc[0, "fac_time"] == 2.0
    assert list(rel.columns) == Q.scales["REL"]


@given(st.lists(st.integers(1, 5), min_size=1, max_size=30))
def test_reverse_key_twice_is_identity(values):
    frame = pd.DataFrame({"x": np.array(values, dtype=float)})
    once = reverse_key(frame, ["x"])
    assert (once["x"] + frame["x"] == 6).all()
    pd.testing.assert_frame_equal(reverse_key(once, ["x"]), frame)


@pytest.mark.parametrize("k, needed", [(3, 2), (4, 3), (6, 4), (5, 4), (9, 6)])
def test_min_answered_two_thirds(k, needed):
    assert min_answered(k, 2 / 3) == needed


def test_two_thirds_rule_per_scale():
    # REL has 6 items: 4 answered -> scored, 3 -> missing; FAC has 4: 3 -> scored, 2 -> missing
    df = pd.concat(
        [
            one_row(rel_know=4, rel_trust=4, rel_goodwill=2, rel_levels=2, fac_time=1, fac_resources=2, fac_devroom=3),
            one_row(rel_know=4, rel_trust=4, rel_goodwill=2, fac_time=1, fac_resources=2),
        ],
        ignore_index=True,
    )
    scored = score_scales(df, Q)
    assert scored.loc[0, "REL"] == 3.0 and scored.loc[0, "FAC"] == 2.0
    assert np.isnan(scored.loc[1, "REL"]) and np.isnan(scored.loc[1, "FAC"])
    assert scored[["PRO", "ORG", "DUR"]].isna().all().all()


def test_min_fraction_is_a_parameter():
    df = one_row(dur_continue=5)
    assert np.isnan(score_scales(df, Q).loc[0, "DUR"])
    assert score_scales(df, Q, min_fraction=1 / 3).loc[0, "DUR"] == 5.0
    with pytest.raises(ValueError):
        score_scales(df, Q, min_fraction=0)


def test_out_of_range_item_is_an_error_naming_the_column():
    df = one_row(rel_trust=7)
    with pytest.raises(ValueError, match="rel_trust"):
        score_scales(df, Q)


def test_missing_item_column_is_an_error():
    df = one_row().drop(columns="org_culture")
    with pytest.raises(KeyError, match="org_culture"):
        score_scales(df, Q)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=3, max_size=3))
def test_dur_score_matches_definition(answers):
    df = one_row(**dict(zip(Q.scales["DUR"], [pd.NA if a is None else a for a in answers])))
    given_ = [a for a in answers if a is not None]
    score = score_scales(df, Q).loc[0, "DUR"]
    if len(given_) >= 2:
        assert score == pytest.approx(sum(given_) / len(given_))
    else:
        assert np.isnan(score)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=6, max_size=6))
def test_rel_score_matches_definition_with_reversal(answers):
    df = one_row(**dict(zip(Q.scales["REL"], [pd.NA if a is None else a for a in answers])))
    keyed = [a if i < 5 else 6 - a for i, a in enumerate(answers) if a is not None]
    score = score_scales(df, Q).loc[0, "REL"]
    if len(keyed) >= 4:
        assert score == pytest.approx(sum(keyed) / len(keyed))
    else:
        assert np.isnan(score)
