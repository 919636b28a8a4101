"""Analysis jobs read the clean responses without provenance and free text, and nothing else goes missing."""

from __future__ import annotations

import pandas as pd
from fixtures.models import simulate_clean

from borgingsmonitor.core.responses import NOT_ANALYSED, read_responses


def test_provenance_and_free_text_stay_behind(tmp_path):
    data = simulate_clean(seed=5, n_regions=2, partnerships_per_region=2, respondents=3)
    data = data.assign(source_file="regio/2024/export.csv", source_row=range(len(data)), comment="Goed overleg")
    data.to_parquet(tmp_path / "responses.parquet", index=False)
    read = read_responses(tmp_path / "responses.parquet")
    assert set(NOT_ANALYSED) & set(data.columns) == {"respondent_key", "source_file", "source_row", "comment"}
    assert list(read.columns) == [c for c in data.columns if c not in NOT_ANALYSED]
    pd.testing.assert_frame_equal(read, data.drop(columns=list(NOT_ANALYSED)))
