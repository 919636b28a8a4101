"""Every figure of the report, declared once: its name, its category in `snakemake --report`, its
caption file under workflow/report/ and its builder in report/figures.py.

No plotting library is imported here: the workflow reads this list when it parses the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from borgingsmonitor.core.questionnaire import SCALES


@dataclass(frozen=True)
class Figure:
    name: str  # results/figures/<name>.png and .svg
    category: str  # subcategory under "6 Figures" in `snakemake --report`
    caption: str  # file under workflow/report/
    builder: str  # function of report/figures.py, called as builder(data, **options)
    options: dict = field(default_factory=dict)
    # drawn from models.csv, the last table the run makes: such figures get their own job
    # (`model_figures`), so the others are drawn while the models are still being fitted
    from_models: bool = False


FIGURES = (
    *(Figure(f"likert_{s}", "2 Profiles", "fig_likert.rst", "build_likert", {"scale": s}) for s in SCALES),
    Figure("profiles_region", "2 Profiles", "fig_profiles_region.rst", "build_profiles_region"),
    Figure("profiles_wave", "2 Profiles", "fig_profiles_wave.rst", "build_profiles_wave"),
    Figure("scale_correlations", "1 Measurement", "fig_scale_correlations.rst", "build_scale_correlations"),
    Figure(
        "forest_conditions",
        "3 Conditions and durability",
        "fig_forest_conditions.rst",
        "build_forest_conditions",
        from_models=True,
    ),
    Figure("mediation_paths", "4 Mechanism", "fig_mediation_paths.rst", "build_mediation_paths"),
    Figure("network_dip", "5 Network dip", "fig_network_dip.rst", "build_network_dip"),
    Figure("survival_km", "6 Actual durability", "fig_survival_km.rst", "build_survival_km"),
    Figure("attrition_flow", "0 Data", "fig_attrition_flow.rst", "build_attrition_flow"),
)
FIGURE_NAMES = tuple(f.name for f in FIGURES)
FIGURE_JOBS = {
    "figures": tuple(f.name for f in FIGURES if not f.from_models),
    "model_figures": tuple(f.name for f in FIGURES if f.from_models),
}
