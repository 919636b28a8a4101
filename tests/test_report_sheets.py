"""Feedback sheets: n per wave, the own interval and a caution for few respondents, a visible marker
for a hidden wave, and the chart drawing exactly the published numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from fixtures.report import QUESTIONNAIRE, SMALL_PARTNERSHIP, build_registry, build_responses
from scipy import stats

from borgingsmonitor.core.disclosure import protected_cells
from borgingsmonitor.core.questionnaire import SCALES, load_questionnaire
from borgingsmonitor.report.sheets import CAUTION_BELOW, SheetData, sheet_context, write_sheets
from borgingsmonitor.report.translate import Translator

MIN = 5
SVG = ""  # inline SVG in HTML needs no namespace (and the sheet links nowhere)


@pytest.fixture(scope="module")
def questionnaire():
    return load_questionnaire(QUESTIONNAIRE)


@pytest.fixture(scope="module")
def data(questionnaire):
    rng = np.random.default_rng(11)
    registry = build_registry(rng)
    return registry, build_responses(rng, registry, questionnaire)


def context(responses, questionnaire, pid, language="nl"):
    return sheet_context(pid, responses, questionnaire, Translator(language, questionnaire), MIN, {}, {})


def test_the_chart_draws_the_published_means_and_marks_a_hidden_wave(data, questionnaire):
    _, responses = data
    ctx = context(responses, questionnaire, SMALL_PARTNERSHIP)  # 3 respondents in its latest wave
    cells = protected_cells(responses, SCALES, MIN)
    own = cells[(cells["geo_type"] == "partnership") & (cells["geo"] == SMALL_PARTNERSHIP) & (cells["wave"] != "all")]
    svg = ET.fromstring(ctx["chart"])
    for scale in SCALES:
        panel = svg.find(f"{SVG}g[@data-scale='{scale}']")
        drawn = {int(c.get("data-wave")): float(c.get("data-mean")) for c in panel.iter(f"{SVG}circle")}
        published = own[(own["scale"] == scale) & ~own["suppressed"]]
        assert drawn == pytest.approx({int(w): float(m) for w, m in zip(published["wave"], published["mean"])})
        hidden = [e for e in panel.iter(f"{SVG}text") if e.get("class") == "suppressed"]
        assert len(hidden) == int(own[(own["scale"] == scale)]["suppressed"].sum()) >= 1


def test_counts_per_wave_show_the_hidden_wave_as_x(data, questionnaire):
    _, responses = data
    ctx = context(responses, questionnaire, SMALL_PARTNERSHIP)
    counts = {c["wave"]: c["n"] for c in ctx["counts"]}
    raw = responses[responses["partnership_id"] == SMALL_PARTNERSHIP].groupby("wave").size()
    assert counts[2025] is None  # 3 respondents
    # its all-waves total is published, so a second wave is hidden with it (or 2025 = total - the others)
    assert sum(n is None for n in counts.values()) == 2
    assert all(n == raw[w] for w, n in counts.items() if n is not None)


def test_the_margin_is_the_t_interval_of_the_partnership_mean(data, questionnaire):
    _, responses = data
    pid = "DEN-01"
    ctx = context(responses, questionnaire, pid, "en")
    wave = ctx["wave"]
    values = responses.loc[(responses["partnership_id"] == pid) & (responses["wave"] == wave), "DUR"]
    values = values.dropna().astype(float)
    half = stats.t.ppf(0.975, len(values) - 1) * values.std() / np.sqrt(len(values))
    row = next(r for r in ctx["rows"] if r["scale"].endswith("(DUR)"))
    assert row["margin"] == f"{half:.2f}" and row["own"] == f"{values.mean():.2f}"


def test_a_caution_below_the_documented_n_and_none_above(data, questionnaire):
    _, responses = data
    latest = responses.groupby("partnership_id")["wave"].transform("max") == responses["wave"]
    sizes = responses[latest].groupby("partnership_id").size()
    few = sizes[(sizes >= MIN) & (sizes < CAUTION_BELOW)].index[0]
    many = sizes[sizes >= CAUTION_BELOW].index[0]
    caution = context(responses, questionnaire, few)["caution"]
    assert caution and f"{sizes[few]} respondenten" in caution
    assert context(responses, questionnaire, many)["caution"] is None


def test_a_partnership_hidden_to_protect_its_neighbour_gets_no_sheet(questionnaire, tmp_path):
    """Two partnerships in one region-wave: one has 3 respondents, so the other (n=8) must be hidden
    too, or the region's total would give the small one away; a sheet would then show nothing."""
    rng = np.random.default_rng(3)
    registry = build_registry(rng)
    responses = build_responses(rng, registry, questionnaire)
    region = responses["region"].iloc[0]
    pids = sorted(responses.loc[responses["region"] == region, "partnership_id"].unique())[:2]
    rest = responses[responses["region"] != region]
    small = responses[(responses["partnership_id"] == pids[0]) & (responses["wave"] == 2025)].head(3)
    large = responses[(responses["partnership_id"] == pids[1]) & (responses["wave"] == 2025)]
    large = pd.concat([large] * 2).head(8).assign(respondent_key=lambda d: [f"z{i}" for i in range(len(d))])
    mini = pd.concat([rest, small, large], ignore_index=True)
    shared = SheetData(mini, questionnaire, MIN)
    assert shared.counts(pids[1]) == {2025: None}
    written = write_sheets(mini, registry, questionnaire, tmp_path, Translator("nl", questionnaire), MIN, {})
    assert pids[1] not in {p.stem for p in written} and pids[0] not in {p.stem for p in written}
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert f'href="{pids[1]}.html"' not in index and f"<li>{pids[1]} " in index  # listed without a sheet


def test_sheet_pages_show_the_marker_the_band_and_the_counts(data, questionnaire, tmp_path):
    registry, responses = data
    written = write_sheets(responses, registry, questionnaire, tmp_path, Translator("en", questionnaire), MIN, {})
    assert written
    html = written[0].read_text(encoding="utf-8")
    assert "95% confidence interval of this learning route" in html and "Respondents per wave" in html
    assert "<img" not in html  # the chart is inline SVG: nothing to load, nothing to break
    ET.fromstring(html[html.index("<svg") : html.index("</svg>") + 6])


def test_region_reports_show_the_region_its_partnerships_and_nothing_hidden(data, questionnaire, tmp_path):
    from borgingsmonitor.report.intervals import clustered_mean_ci
    from borgingsmonitor.report.regions import write_region_reports

    registry, responses = data
    t = Translator("en", questionnaire)
    written = write_region_reports(responses, registry, questionnaire, tmp_path, t, MIN, {})
    assert sorted(p.stem for p in written) == sorted(responses["region"].unique())
    region = responses.loc[responses["partnership_id"] == SMALL_PARTNERSHIP, "region"].iloc[0]
    html = (tmp_path / f"{region}.html").read_text(encoding="utf-8")
    wave = int(responses["wave"].max())
    here = responses[(responses["region"] == region) & (responses["wave"] == wave)]
    mean, low, high = clustered_mean_ci(here["DUR"], here["partnership_id"])
    assert f"{mean:.2f}" in html and f"{low:.2f}" in html and f"{high:.2f}" in html
    row = html[html.index(f">{SMALL_PARTNERSHIP}<") :].split("</tr>")[0]
    assert row.count('class="num suppressed"') == 6  # its n and five means: 3 respondents
    assert f'href="../partnerships/{SMALL_PARTNERSHIP}.html"' not in html
    assert 'href="../partnerships/DEN-01.html"' in (tmp_path / "den-bosch.html").read_text(encoding="utf-8")


def test_pages_from_categorical_group_columns_equal_those_from_text(data, questionnaire, tmp_path):
    """The jobs read the group columns as sorted categoricals (`read_responses(groups=...)`): the sheets
    and region reports must be byte for byte those made from the same responses read as text."""
    from borgingsmonitor.core.responses import GROUP_COLUMNS, read_responses
    from borgingsmonitor.report.regions import write_region_reports
    from borgingsmonitor.report.sheets import sheet_columns

    registry, responses = data
    path = tmp_path / "responses.parquet"
    # ids not in sorted order of first appearance, and one region name that sorts before the others
    responses.iloc[::-1].assign(extra=1.0).to_parquet(path)
    coded = read_responses(path, sheet_columns(questionnaire), GROUP_COLUMNS)
    text = read_responses(path)
    assert isinstance(coded["partnership_id"].dtype, pd.CategoricalDtype) and "extra" not in coded
    assert list(coded["partnership_id"].cat.categories) == sorted(text["partnership_id"].unique())
    t = Translator("en", questionnaire)
    for writer in (write_sheets, write_region_reports):
        pages = {}
        for name, frame in (("coded", coded), ("text", text)):
            writer(frame, registry, questionnaire, tmp_path / name, t, MIN, {})
            pages[name] = {p.name: p.read_bytes() for p in sorted((tmp_path / name).iterdir())}
        assert pages["coded"] == pages["text"] and len(pages["text"]) > 3
