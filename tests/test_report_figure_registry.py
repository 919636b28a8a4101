"""The figure registry: each figure declared once, with a caption, a category and a builder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
from fixtures.report import HYPOTHESES, QUESTIONNAIRE, build_fixture

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.report import figures as F
from borgingsmonitor.report.figure_registry import FIGURE_NAMES, FIGURES
from borgingsmonitor.report.translate import Translator

REPO = Path(__file__).resolve().parents[1]
CAPTIONS = REPO / "workflow" / "report"


def test_every_declared_figure_has_a_caption_a_category_and_a_builder():
    assert len(set(FIGURE_NAMES)) == len(FIGURES)
    for fig in FIGURES:
        assert (CAPTIONS / fig.caption).is_file(), f"{fig.name}: no caption {fig.caption}"
        assert (CAPTIONS / fig.caption).read_text(encoding="utf-8").strip(), fig.caption
        assert fig.category.strip(), f"{fig.name}: no category"
        assert callable(getattr(F, fig.builder, None)), f"{fig.name}: no builder {fig.builder}"


def test_every_figure_caption_belongs_to_a_declared_figure():
    used = {fig.caption for fig in FIGURES}
    assert {p.name for p in CAPTIONS.glob("fig_*.rst")} <= used


def test_the_registry_imports_no_plotting_library():
    """The workflow reads the registry when it parses the rules: no matplotlib or seaborn then."""
    code = (
        "import sys, borgingsmonitor.report.figure_registry; "
        "print(sorted(m for m in ('matplotlib', 'seaborn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    common = (REPO / "workflow" / "rules" / "common.smk").read_text(encoding="utf-8")
    assert "report.figures " not in common and "FIGURE_CATEGORY" not in common


def test_forest_labels_and_titles_come_from_the_declared_hypotheses(tmp_path):
    F.setup_matplotlib()
    t = Translator("en", load_questionnaire(QUESTIONNAIRE))
    models = pd.read_csv(build_fixture(tmp_path)["models"])
    fig = F.forest_figure(models, t, HYPOTHESES)
    labels = [x.get_text() for x in fig.axes[0].get_yticklabels()]
    assert [label.split()[0] for label in labels] == ["H1", "H2", "H3", "H4"]
    assert fig.axes[0].get_title(loc="left").endswith("(H1–H4)")
    assert fig.axes[0].get_xlabel() == t("fig.forest.xlabel_between")  # the hybrid's between effects
    shown = [float(x) for x in fig.axes[0].lines[1].get_xdata()]
    between = models[(models["model"] == HYPOTHESES[0].model) & (models["term"] == HYPOTHESES[0].term)]
    assert shown == [float(between["estimate"].iloc[0])]
    bare = F.forest_figure(models, t)
    assert not any(x.get_text().startswith("H") for x in bare.axes[0].get_yticklabels())
    assert not bare.axes[0].get_title(loc="left").endswith(")")
