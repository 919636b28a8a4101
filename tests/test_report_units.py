"""Unit and property tests of the report library: translations, numbers, figures' data, provenance."""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd
import pytest
from fixtures.report import QUESTIONNAIRE, build_fixture, group_means
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.report import figures as F
from borgingsmonitor.report.provenance import count_data_rows, sha256_file, to_json
from borgingsmonitor.report.sheets import eligible_partnerships, item_scores, strongest_weakest
from borgingsmonitor.report.translate import LANGUAGES, Translator, format_number, format_p, load_strings


@pytest.fixture(scope="module")
def fixture_paths(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("report_units"))


@pytest.fixture(scope="module")
def questionnaire():
    return load_questionnaire(QUESTIONNAIRE)


def test_translation_files_have_the_same_keys():
    nl, en = load_strings("nl"), load_strings("en")
    assert set(nl) == set(en)
    placeholders = re.compile(r"{(\w+)}")
    for key in nl:
        if isinstance(nl[key], str):
            assert set(placeholders.findall(nl[key])) == set(placeholders.findall(en[key])), key


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language"):
        load_strings("de")


@pytest.mark.parametrize(
    "value,digits,nl,en",
    [
        (3.14159, 2, "3,14", "3.14"),
        (-0.001, 2, "0,00", "0.00"),
        (1234.5, 1, "1\u202f234,5", "1,234.5"),
        (-1.5, 1, "\u22121,5", "\u22121.5"),
    ],
)
def test_numbers_follow_the_language(value, digits, nl, en):
    assert format_number(value, digits, "nl") == nl
    assert format_number(value, digits, "en") == en


def test_p_values_floor_and_missing():
    assert format_p(0.0000001, "nl") == "< 0,001"
    assert format_p(0.0449, "en") == "0.045"
    assert format_p(None) == "" and format_p(float("nan")) == "" and format_p(pd.NA) == ""


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6), st.integers(0, 4))
def test_format_number_round_trips(x, digits):
    for lang in LANGUAGES:
        text = format_number(x, digits, lang)
        back = text.replace("\u202f", "").replace("\u2212", "-")
        back = back.replace(",", ".") if lang == "nl" else back.replace(",", "")
        assert float(back) == pytest.approx(round(x, digits), abs=10**-digits)


@given(
    st.sampled_from(["funding_ended=no", "funding_ended=yes", "", "group=a"]),
    st.integers(0, 30),
    st.sampled_from([";", ",", " ; "]),
)
def test_km_terms_parse_in_any_order(stratum, time, sep):
    parts = [p for p in (stratum, f"t={time}") if p]
    for order in (parts, parts[::-1]):
        parsed_stratum, parsed_time = F.parse_km_term(sep.join(order))
        assert parsed_time == time
        assert parsed_stratum == (stratum or "all")


def test_km_term_without_time_is_not_a_point():
    assert F.parse_km_term("logrank:funding_ended") == ("logrank:funding_ended", None)


def test_km_curves_drop_small_strata(fixture_paths):
    surv = pd.read_csv(fixture_paths["survival"])
    assert set(F.km_curves(surv, 5)["stratum"]) == {"funding_ended=no", "funding_ended=yes"}
    curves = F.km_curves(surv, 8)  # the 'yes' stratum holds 7 partnerships
    assert set(curves["stratum"]) == {"funding_ended=no"}
    assert curves["t"].is_monotonic_increasing


def test_likert_distribution_suppresses_small_items(questionnaire):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({c: pd.array(rng.integers(1, 6, 12), dtype="Int64") for c in questionnaire.item_codes})
    frame.loc[frame.index[:9], "rel_know"] = pd.NA  # 3 answers left
    dist = F.likert_distribution(frame, questionnaire.scales["REL"], 5).set_index("item")
    assert dist.loc["rel_know", "suppressed"] and dist.loc["rel_know", ["p1", "p5"]].isna().all()
    shown = dist[~dist["suppressed"]]
    assert np.allclose(shown[[f"p{k}" for k in range(1, 6)]].astype(float).sum(axis=1), 1.0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=6), st.integers(2, 8))
def test_group_means_never_show_a_small_group(sizes, minimum):
    rows = [
        {"region": f"r{g}", "wave": 2024, "REL": 3.0 + (i % 3) * 0.5} for g, n in enumerate(sizes) for i in range(n)
    ]
    table = group_means(pd.DataFrame(rows), ["region", "wave"], minimum)
    for r in table.itertuples(index=False):
        assert r.suppressed == (r.n < minimum)
        assert pd.isna(r.mean) == (r.n < minimum)


def test_correlations_blank_small_pairs():
    frame = pd.DataFrame(
        {
            "REL": [1.0, 2, 3, 4, 5, 2],
            "FAC": [2.0, 2, 4, 4, 5, 1],
            "PRO": [1.0, np.nan, np.nan, np.nan, 3, 2],
            "ORG": [1.0, 2, 3, 4, 4, 3],
            "DUR": [5.0, 4, 3, 2, 1, 2],
        }
    )
    corr, n = F.correlation_table(frame, 5)
    assert pd.isna(corr.loc["PRO", "REL"]) and n.loc["PRO", "REL"] == 3
    assert corr.loc["REL", "DUR"] < 0


def test_sheets_only_for_large_latest_waves(fixture_paths, questionnaire):
    responses = pd.read_parquet(fixture_paths["responses"])
    eligible = eligible_partnerships(responses, 5)
    assert "HEL-03" not in set(eligible["partnership_id"])  # 9 respondents earlier, 3 in its latest wave
    assert (eligible["n"] >= 5).all()
    latest = responses.groupby("partnership_id")["wave"].max()
    assert (eligible.set_index("partnership_id")["wave"] == latest.reindex(eligible["partnership_id"]).values).all()
    scores = item_scores(responses[responses["partnership_id"] == "DEN-01"], questionnaire, 5)
    best, worst = strongest_weakest(scores)
    assert len(best) == len(worst) == 3
    assert min(r["mean"] for r in best) >= max(r["mean"] for r in worst)
    assert not {r["item"] for r in best} & {r["item"] for r in worst}


def test_reverse_items_are_reversed_for_sheet_ranking(questionnaire):
    frame = pd.DataFrame({c: pd.array([5] * 6, dtype="Int64") for c in questionnaire.item_codes})
    scores = item_scores(frame, questionnaire, 5).set_index("item")
    assert scores.loc["rel_distant", "mean"] == 1.0 and scores.loc["rel_know", "mean"] == 5.0


def test_csv_rows_count_records_not_lines(fixture_paths):
    lime, qualtrics, xlsx = (s["path"] for s in fixture_paths["sources"])
    assert count_data_rows(lime, {}) == 3  # one record spans two lines
    with open(lime, encoding="utf-8-sig", newline="") as fh:
        assert sum(1 for _ in fh) == 5
    assert count_data_rows(qualtrics, {"tool": "qualtrics", "encoding": "cp1252"}) == 2
    assert count_data_rows(qualtrics, {"header_rows": 1}) == 4
    assert count_data_rows(xlsx, {"tool": "msforms"}) == 4


def test_sav_rows(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    path = tmp_path / "x.sav"
    pyreadstat.write_sav(pd.DataFrame({"jaar": [2023.0, 2024.0, 2025.0]}), str(path))
    assert count_data_rows(path) == 3


def test_unknown_file_type_is_an_error(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(ValueError, match="x.pdf"):
        count_data_rows(path)


@given(
    st.lists(
        st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8), min_size=2, max_size=2),
        min_size=0,
        max_size=6,
    )
)
@settings(max_examples=40, deadline=None)
def test_csv_count_matches_writer(tmp_path_factory, records):
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["a", "b"])
        w.writerows(records)
    assert count_data_rows(path, {"delimiter": ","}) == len(records)


def test_json_is_deterministic_and_sorted():
    a = to_json({"b": 1, "a": {"d": 2, "c": [3]}})
    assert a == to_json({"a": {"c": [3], "d": 2}, "b": 1})
    assert a.index('"a"') < a.index('"b"')


def test_sha256(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"abc")
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_every_figure_renders_in_english(fixture_paths, questionnaire, tmp_path):
    F.setup_matplotlib()
    responses = pd.read_parquet(fixture_paths["responses"])
    read = {
        k: pd.read_csv(fixture_paths[k])
        for k in ("descriptives", "models", "mediation", "network_dip", "survival", "attrition")
    }
    for lang in ("en",):  # Dutch figures are drawn by test_report_documents
        figs = F.build_figures(
            responses,
            read["descriptives"],
            read["models"],
            read["mediation"],
            read["network_dip"],
            read["survival"],
            read["attrition"],
            questionnaire,
            Translator(lang, questionnaire),
            5,
        )
        assert set(figs) == set(F.FIGURE_NAMES)
        for name, fig in figs.items():
            texts = " ".join(
                t.get_text() for ax in fig.axes for t in [*ax.texts, ax.title, ax.xaxis.label, ax.yaxis.label]
            )
            if lang == "en":
                assert "Percentage respondenten" not in texts and "Gemiddelde" not in texts, name
            F.save_figure(fig, tmp_path / f"{lang}_{name}.png", tmp_path / f"{lang}_{name}.svg")
        assert (tmp_path / f"{lang}_forest_conditions.png").stat().st_size > 1000


def test_empty_inputs_give_a_placeholder_not_an_error(questionnaire):
    t = Translator("en", questionnaire)
    empty_models = pd.DataFrame(columns=["model", "term", "estimate", "ci_low", "ci_high"])
    fig = F.forest_figure(empty_models, t)
    assert any(t("fig.no_data") in x.get_text() for x in fig.axes[0].texts)
    fig = F.survival_figure(
        pd.DataFrame(columns=["model", "term", "estimate", "ci_low", "ci_high", "n_partnerships"]), t, 5
    )
    assert any(t("fig.no_data") in x.get_text() for x in fig.axes[0].texts)


def test_figures_are_byte_identical_on_rerun(fixture_paths, questionnaire, tmp_path):
    t = Translator("nl", questionnaire)
    for run in ("a", "b"):
        F.setup_matplotlib()
        fig = F.mediation_figure(pd.read_csv(fixture_paths["mediation"]), t)
        F.save_figure(fig, tmp_path / f"{run}.png", tmp_path / f"{run}.svg")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_region_intervals_allow_for_partnership_clustering():
    import numpy as np
    import statsmodels.api as sm
    from scipy import stats

    from borgingsmonitor.report.intervals import clustered_mean_ci

    rng = np.random.default_rng(7)
    clusters = np.repeat(np.arange(8), 40)
    y = 3.5 + rng.normal(0, 0.5, 8)[clusters] + rng.normal(0, 0.6, len(clusters))
    mean, low, high = clustered_mean_ci(pd.Series(y), pd.Series(clusters))
    fit = sm.OLS(y, np.ones_like(y)).fit(cov_type="cluster", cov_kwds={"groups": clusters})
    assert mean == pytest.approx(y.mean())
    assert (high - low) / 2 == pytest.approx(fit.bse[0] * stats.t.ppf(0.975, 7), rel=1e-10)
    naive = 1.96 * y.std(ddof=1) / np.sqrt(len(y))
    assert (high - low) / 2 > 2 * naive  # the clustering the old intervals ignored
    assert np.isnan(clustered_mean_ci(pd.Series(y[:40]), pd.Series(clusters[:40]))[1])  # one cluster: no interval
