"""The H6 analysis frame (spline basis included) and our estimates, for network_dip_lme4.R.

    PYTHONPATH=src:tests python docs/validation/network_dip_make_data.py sim OUT_DIR
    PYTHONPATH=src:tests python docs/validation/network_dip_make_data.py example OUT_DIR  # after the workflow

`sim` is the seeded simulation of tests/fixtures/mechanisms.py with a known dip (the CI reference);
`example` reads results/clean/responses.parquet. Writes OUT_DIR/network_dip_<which>.csv (the frame)
and OUT_DIR/network_dip_<which>_python.json (our LR test, contrasts and log-likelihoods).
"""

import json
import sys
from pathlib import Path

from borgingsmonitor.core.responses import read_responses
from borgingsmonitor.mechanisms import network_dip as nd


def frame_for(which: str):
    if which == "sim":
        from fixtures.mechanisms import dip_curve, simulate_responses

        return simulate_responses(10, 25, seed=3, age_effect=dip_curve)
    return read_responses("results/clean/responses.parquet")


def main(which: str, out: Path) -> None:
    data = frame_for(which)
    frame, knots = nd.analysis_frame(data)
    frame.to_csv(out / f"network_dip_{which}.csv", index=False, float_format="%.17g")
    result = nd.network_dip(data, n_boot=999, seed=20250101)
    summary = {
        "knots": list(map(float, knots)),
        "lrt": {k: v for k, v in result["lrt"].items() if k != "bootstrap"},
        "bootstrap": {k: v for k, v in result["lrt"]["bootstrap"].items() if k != "values"},
        "loglik": {"linear": result["fit_linear"].loglik, "spline": result["fit_spline"].loglik},
        "contrasts": result["contrasts"].to_dict(orient="records"),
    }
    (out / f"network_dip_{which}_python.json").write_text(json.dumps(summary, indent=2, default=float))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
