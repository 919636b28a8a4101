import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

import pandas as pd  # noqa: E402

from borgingsmonitor.core.questionnaire import load_questionnaire  # noqa: E402
from borgingsmonitor.report.content import read_registry, region_names  # noqa: E402
from borgingsmonitor.report.figures import FIGURE_NAMES, build_figures, setup_matplotlib, write_figures  # noqa: E402
from borgingsmonitor.report.translate import Translator  # noqa: E402
from borgingsmonitor.core.responses import read_responses  # noqa: E402

sm = snakemake  # noqa: F821
setup_matplotlib()
questionnaire = load_questionnaire(sm.input.questionnaire)
t = Translator(sm.params.language, questionnaire)
responses = read_responses(sm.input.responses)
figs = build_figures(
    responses=responses,
    descriptives=pd.read_csv(sm.input.descriptives),
    models=pd.read_csv(sm.input.models),
    mediation=pd.read_csv(sm.input.mediation),
    dip=pd.read_csv(sm.input.network_dip),
    survival=pd.read_csv(sm.input.survival),
    attrition=pd.read_csv(sm.input.attrition),
    questionnaire=questionnaire,
    t=t,
    min_group_size=sm.params.min_group_size,
    year=sm.params.year,
    region_names=region_names(read_registry(sm.input.registry), responses),
)
write_figures(figs, {n: sm.output[f"{n}_png"] for n in FIGURE_NAMES}, {n: sm.output[f"{n}_svg"] for n in FIGURE_NAMES})
print(f"wrote {len(figs)} figures", file=sys.stderr)
