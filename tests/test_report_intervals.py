"""The t quantile the sheets and region reports use (scipy.special, to spare the job scipy.stats) is
scipy.stats.t.ppf's, bit for bit, including where it is undefined."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from borgingsmonitor.report.intervals import t_quantile


@settings(max_examples=300, deadline=None)
@given(
    df=st.lists(
        st.one_of(st.integers(-3, 5000).map(float), st.floats(0, 1e6), st.just(np.nan), st.just(np.inf)),
        min_size=1,
        max_size=30,
    ),
    p=st.sampled_from([0.5, 0.9, 0.95, 0.975, 0.995]),
)
def test_t_quantile_is_scipy_stats(df, p):
    np.testing.assert_array_equal(t_quantile(p, np.array(df)), stats.t.ppf(p, np.array(df)))


def test_t_quantile_of_one_df():
    assert float(t_quantile(0.975, 9)) == float(stats.t.ppf(0.975, 9))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 600), n_ids=st.integers(1, 60))
def test_region_profiles_give_the_intervals_of_the_partnership_ids(seed, n, n_ids):
    """region_profiles groups by numbered partnerships; the intervals are those of the ids, bit for bit."""
    import pandas as pd

    from borgingsmonitor.core.disclosure import ALL
    from borgingsmonitor.report.figures import region_profiles
    from borgingsmonitor.report.intervals import clustered_mean_ci

    rng = np.random.default_rng(seed)
    ids = np.array([f"p-{i:02d}" if i % 3 else f"Z{i}" for i in range(n_ids)] + [None], dtype=object)
    responses = pd.DataFrame(
        {
            "region": rng.choice(["noord", "zuid", "west"], n),
            "partnership_id": rng.choice(ids, n),
            "REL": np.where(rng.random(n) < 0.1, np.nan, rng.normal(3, 1, n)),
        }
    )
    cells = pd.DataFrame(
        [
            ("REL", g, r, ALL, False)
            for g, r in [("all", "all"), ("region", "noord"), ("region", "zuid"), ("region", "west")]
        ],
        columns=["scale", "geo_type", "geo", "wave", "suppressed"],
    )
    got = region_profiles(responses, 1, cells).set_index(["group_type", "group"])
    for (group_type, group), row in got.iterrows():
        d = responses if group_type == "all" else responses[responses["region"] == group]
        want = clustered_mean_ci(d["REL"], d["partnership_id"])
        np.testing.assert_array_equal([row["mean"], row["ci_low"], row["ci_high"]], want)
