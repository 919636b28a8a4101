"""Registry and survey data with a known H7 truth, for the survival tests and the R validation.

Each partnership has a constant condition level c ~ N(0, 1); every surveyed wave shows its composite
as 3.5 + 0.5 c in all four conditions (no sampling noise, so the covariate is what the truth is
about). It stops in calendar year y with the grouped proportional-hazards probability
1 - exp(-exp(baseline + b c + f F + g c F)), F = (y > funding end): the discrete form of a
continuous-time Cox model whose covariates are constant within a year (funding lasts 3 to 5 years, so
funding_ended is not a function of age), so the Cox fit on yearly
(start, stop] rows estimates b, f and g (up to the small attenuation of grouped ties). Partnerships
start years before the first wave, so some stop before they are ever surveyed (registry-only) and
the others enter the conditions model late (left truncation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRUTH = {"baseline": -2.6, "conditions": -0.7, "funding_ended": 0.9, "conditions:funding_ended": 0.0}
SCALE = 0.5  # the surveyed composite is 3.5 + SCALE * c


def simulate_survival(
    n_partnerships: int = 400, seed: int = 1, waves=(2021, 2022, 2023, 2024, 2025), effects: dict | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(registry, partnership-wave responses, truth per unit of c). Same seed, same data."""
    truth = dict(TRUTH, **(effects or {}))
    rng = np.random.default_rng([seed, 7])
    waves = sorted(waves)
    start = rng.integers(waves[0] - 8, waves[-1], n_partnerships)
    level = rng.normal(0, 1, n_partnerships)
    funding_end = start + rng.integers(3, 6, n_partnerships)  # unequal periods: funding_ended is not age
    stopped = np.full(n_partnerships, -1)
    for year in range(int(start.min()) + 1, waves[-1] + 1):
        ended = (year > funding_end).astype(float)
        eta = (
            truth["baseline"]
            + truth["conditions"] * level
            + truth["funding_ended"] * ended
            + truth["conditions:funding_ended"] * level * ended
        )
        at_risk = (stopped < 0) & (year > start)
        stopped[at_risk & (rng.random(n_partnerships) < 1 - np.exp(-np.exp(eta)))] = year
    ids = [f"S-{i + 1:04d}" for i in range(n_partnerships)]
    registry = pd.DataFrame(
        {
            "partnership_id": ids,
            "region": [f"Regio {i % 4 + 1}" for i in range(n_partnerships)],
            "start_year": pd.array(start, dtype="Int64"),
            "funding_end_year": pd.array(funding_end, dtype="Int64"),
            "stopped_year": pd.array(np.where(stopped < 0, None, stopped), dtype="Int64"),
        }
    )
    rows = [
        {"partnership_id": ids[i], "wave": w, **dict.fromkeys(("REL", "FAC", "PRO", "ORG"), 3.5 + SCALE * level[i])}
        for i in range(n_partnerships)
        for w in waves
        if start[i] <= w and (stopped[i] < 0 or w <= stopped[i])
    ]
    return registry, pd.DataFrame(rows), truth
