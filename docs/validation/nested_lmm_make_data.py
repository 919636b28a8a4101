"""Write the small seeded data sets on which lme4 is run (tests/data/nested_lmm_lme4_*.csv).

    /work/main/.venv/bin/python docs/validation/nested_lmm_make_data.py
    Rscript docs/validation/nested_lmm_lme4.R

`main`: y = 1 + 0.5 x1 - 0.2 x2 + wave + u_region + u_partnership + e with unequal group sizes.
`boundary`: the same without a region effect, drawn (seed chosen) so the REML and ML estimates of
the region variance are exactly 0.
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[2] / "tests" / "data"


def make(seed: int, s2_region: float, n_regions=7, n_partnerships=36, n=700) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region_of = np.r_[np.arange(n_regions), rng.integers(0, n_regions, n_partnerships - n_regions)]
    size = rng.lognormal(0, 0.7, n_partnerships)
    part = rng.choice(n_partnerships, size=n, p=size / size.sum())
    wave = rng.choice([2023, 2024, 2025], size=n)
    x1 = rng.normal(3.2, 0.7, n)
    x2 = rng.normal(3.0, 0.8, n) + 0.3 * (x1 - 3.2)
    u_r = rng.normal(0, np.sqrt(s2_region), n_regions)
    u_p = rng.normal(0, np.sqrt(0.08), n_partnerships)
    wave_eff = np.select([wave == 2024, wave == 2025], [0.1, -0.05], 0.0)
    y = 1 + 0.5 * x1 - 0.2 * x2 + wave_eff + u_r[region_of[part]] + u_p[part] + rng.normal(0, 0.5, n)
    df = pd.DataFrame(
        {
            "region": [f"regio-{r + 1:02d}" for r in region_of[part]],
            "partnership_id": [f"R{r + 1:02d}-{p + 1:02d}" for r, p in zip(region_of[part], part)],
            "wave": wave,
            "x1": x1,
            "x2": x2,
            "y": y,
        }
    )
    return df.sort_values(["region", "partnership_id", "wave"], kind="stable").reset_index(drop=True)


if __name__ == "__main__":
    make(20251127, 0.05).to_csv(OUT / "nested_lmm_lme4_main.csv", index=False, float_format="%.10g")
    make(3, 0.0).to_csv(OUT / "nested_lmm_lme4_boundary.csv", index=False, float_format="%.10g")
