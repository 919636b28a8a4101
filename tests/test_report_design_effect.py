"""A design effect's label says which levels it covers (issue 12: a two-level one was labelled "regions")."""

import pandas as pd
import pytest

from borgingsmonitor.report.sections.rq3 import variance_rows
from borgingsmonitor.report.translate import Translator

LEVELS = {"nl": ("regio's", "leerroutes"), "en": ("regions", "learning routes")}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_design_effect_rows_name_their_levels(lang):
    t = Translator(lang)
    models = pd.DataFrame(
        {"model": "conditions_mixed", "term": ["design_effect", "design_effect_nested"], "estimate": [4.2, 36.4]}
    )
    rows = {r[0].text: r for r in variance_rows(t, models)}
    region, route = LEVELS[lang]
    nested = t.term("design_effect_nested")
    assert region in nested and route in nested  # both levels, not "regions" alone
    one = t.term("design_effect")
    assert route in one and region not in one
    assert rows[nested][1].text == ("36,4" if lang == "nl" else "36.4")
    assert region in rows[nested][2].text and route in rows[nested][2].text
