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
