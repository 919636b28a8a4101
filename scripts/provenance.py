import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

from borgingsmonitor.report.provenance import build_provenance, write_provenance  # noqa: E402

sm = snakemake  # noqa: F821
record = build_provenance(list(sm.params.sources), sm.input.registry, sm.input.questionnaire, dict(sm.params.config),
                          repo_dir=sm.params.repo_dir)
write_provenance(record, sm.output.provenance)
print(f"provenance: {len(record['inputs'])} input files", file=sys.stderr)
