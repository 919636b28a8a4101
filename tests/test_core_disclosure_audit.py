"""An attacker's audit of everything published together: descriptives.csv, the feedback sheets (their
wave points and counts), Figure 1 (region profiles) and the wave figure. Whatever one output shows must
be a cell the disclosure control left visible, and no small group may follow from all of them together
by subtraction (solved as one linear system over every published sum)."""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures.report import QUESTIONNAIRE

from borgingsmonitor.core.disclosure import ALL, linked_relations, protected_cells, recoverable
from borgingsmonitor.core.questionnaire import SCALES, load_questionnaire
from borgingsmonitor.measure.descriptives import descriptives_table
from borgingsmonitor.report.figures import published_means, region_profiles
from borgingsmonitor.report.sheets import SheetData, eligible_partnerships, published_partnerships
from borgingsmonitor.synthetic.simulate import simulate_clean

MIN = 5


def with_traps(seed: int) -> pd.DataFrame:
    """Simulated responses with the issue's trap: a two-person partnership in an existing region, plus
    partnerships whose waves are small."""
    responses, _ = simulate_clean(1_200, n_regions=5, n_partnerships=30, seed=seed)
    donor = responses[responses["region"] == responses["region"].iloc[0]].head(2)
    trap = donor.assign(partnership_id="TRAP-01", respondent_key=["trap-a", "trap-b"])
    return pd.concat([responses, trap], ignore_index=True)


def published(responses: pd.DataFrame, questionnaire) -> dict:
    """(scale, geo_type, geo, wave) -> (n or None, mean) of every number any output shows."""
    out: dict = {}
    table = descriptives_table(responses, list(SCALES), MIN)
    for r in table.itertuples(index=False):
        if r.suppressed:
            assert pd.isna(r.n) and pd.isna(r.mean)  # a hidden cell shows nothing, not even its n
            continue
        geo_type, wave = ("all", str(r.group)) if r.group_type == "wave" else (r.group_type, ALL)
        geo = ALL if r.group_type in ("all", "wave") else str(r.group)
        out[(r.scale, geo_type, geo, wave)] = (int(r.n), float(r.mean))
    shared = SheetData(responses, questionnaire, MIN)
    sheets = published_partnerships(eligible_partnerships(responses, MIN), shared)
    shown_geos = [("partnership", p) for p in sheets["partnership_id"]]
    shown_geos += [("region", r) for r in responses["region"].unique()] + [(ALL, ALL)]
    for geo_type, geo in shown_geos:
        for scale, points in shared.series(geo_type, str(geo)).items():
            for p in points:
                if not p["hidden"]:
                    out[(scale, geo_type, str(geo), str(p["wave"]))] = (int(p["n"]), float(p["mean"]))
    for r in region_profiles(responses, MIN).itertuples(index=False):
        out[(r.scale, r.group_type, str(r.group), ALL)] = (int(r.n), float(r.mean))
    cells = protected_cells(responses, list(SCALES), MIN)
    for r in published_means(cells, "region").itertuples(index=False):
        if not r.suppressed:
            out[(r.scale, "region", str(r.region), str(r.wave))] = (int(r.n), float(r.mean))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_small_group_follows_from_all_outputs_together(seed):
    questionnaire = load_questionnaire(QUESTIONNAIRE)
    responses = with_traps(seed)
    shown = published(responses, questionnaire)
    truth = protected_cells(responses, list(SCALES), 1).set_index(["scale", "geo_type", "geo", "wave"])
    for key, (n, mean) in shown.items():  # every published number is the true one (nothing is perturbed)
        assert truth.loc[key, "n"] == n and truth.loc[key, "mean"] == pytest.approx(mean)
    assert not any(k[2] == "TRAP-01" for k in shown)
    for scale in SCALES:
        part = protected_cells(responses, [scale], MIN).reset_index(drop=True)
        true_n = dict(
            zip(
                zip(part["geo_type"], part["geo"], part["wave"]),
                truth.loc[scale].loc[list(zip(part["geo_type"], part["geo"], part["wave"])), "n"].astype(int),
            )
        )
        unseen = {c for c in true_n if (scale, *c) not in shown}
        # the reader knows every published n; solving all sums together must not give a small group
        assert recoverable(true_n, linked_relations(part), unseen, MIN) == set()
        small = {c for c, v in true_n.items() if 0 < v < MIN}
        assert small <= unseen and any(c[1] == "TRAP-01" for c in small)


def test_the_issue_case_region_minus_visible_partnerships():
    """Helmond with a new two-person partnership: region total minus the visible partnerships must not
    give the pair's n or mean, in descriptives.csv or anywhere else."""
    questionnaire = load_questionnaire(QUESTIONNAIRE)
    responses = with_traps(4)
    region = responses.loc[responses["partnership_id"] == "TRAP-01", "region"].iloc[0]
    shown = published(responses, questionnaire)
    for scale in SCALES:
        region_known = (scale, "region", region, ALL) in shown
        partners = responses.loc[responses["region"] == region, "partnership_id"].unique()
        visible = [p for p in partners if (scale, "partnership", p, ALL) in shown]
        assert not (region_known and len(visible) == len(partners) - 1)
