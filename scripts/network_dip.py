import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

from borgingsmonitor.mechanisms.network_dip import network_dip, write_curve
from borgingsmonitor.models.table import write_model_table
from borgingsmonitor.core.responses import read_responses

responses = read_responses(snakemake.input.responses)  # noqa: F821
result = network_dip(
    responses,
    df=int(snakemake.params.spline_df),  # noqa: F821
    min_group_size=int(snakemake.params.min_group_size),  # noqa: F821
)
print(f"{result['n_obs']} complete responses; knots {result['knots']}", file=sys.stderr)
print(f"LRT spline vs linear: {result['lrt']}", file=sys.stderr)
for label in ("fit_linear", "fit_spline"):
    fit = result[label]
    print(f"{label}: loglik {fit.loglik:.6f}, converged {fit.converged}, {getattr(fit, 'message', '')}", file=sys.stderr)
print(result["curve"].to_string(), file=sys.stderr)
write_curve(result["curve"], snakemake.output.curve)  # noqa: F821
write_model_table(result["rows"], snakemake.output.model)  # noqa: F821
