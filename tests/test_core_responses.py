"""Analysis jobs read the clean responses without provenance and free text, and nothing else goes missing."""

from __future__ import annotations

import pandas as pd
from fixtures.models import simulate_clean

from borgingsmonitor.core.responses import NOT_ANALYSED, read_columns, read_responses


def test_provenance_and_free_text_stay_behind(tmp_path):
    data = simulate_clean(seed=5, n_regions=2, partnerships_per_region=2, respondents=3)
    data = data.assign(source_file="regio/2024/export.csv", source_row=range(len(data)), comment="Goed overleg")
    data.to_parquet(tmp_path / "responses.parquet", index=False)
    read = read_responses(tmp_path / "responses.parquet")
    assert set(NOT_ANALYSED) & set(data.columns) == {"respondent_key", "source_file", "source_row", "comment"}
    assert list(read.columns) == [c for c in data.columns if c not in NOT_ANALYSED]
    pd.testing.assert_frame_equal(read, data.drop(columns=list(NOT_ANALYSED)))


def test_a_model_reads_its_grouping_as_sorted_categories_even_the_respondent_key(tmp_path):
    data = simulate_clean(seed=6, n_regions=3, partnerships_per_region=2, respondents=4)
    data = data.sample(frac=1.0, random_state=1).reset_index(drop=True)  # keys not in sorted order
    path = tmp_path / "responses.parquet"
    data.to_parquet(path, index=False)
    groups = ("region", "partnership_id", "respondent_key")
    read = read_columns(path, ["region", "partnership_id", "respondent_key", "DUR"], groups)
    assert list(read.columns) == ["region", "partnership_id", "respondent_key", "DUR"]
    for column in groups:
        assert isinstance(read[column].dtype, pd.CategoricalDtype)
        assert list(read[column].cat.categories) == sorted(data[column].unique())
        assert read[column].astype(str).tolist() == data[column].astype(str).tolist()
    assert read["DUR"].tolist() == data["DUR"].tolist()
