# One ingestion job per region for all its exports (`ingestion.jobs: per_region`, the default: a
# changed export reruns only its region's job), or per export (`per_file`: a process start per file),
# then one gather.

from borgingsmonitor.core.codeversion import code_version
from borgingsmonitor.core.priority import ingestion_priority


rule ingest_file:
    input:
        exports=export_of,
        registry=input_path(config["registry"]),
        questionnaire=config["questionnaire"],
    output:
        table="results/interim/ingested/{region}/{file_id}.parquet",
        issues="results/interim/ingested/{region}/{file_id}.issues.csv",
        manifest="results/interim/ingested/{region}/{file_id}.manifest.json",
    log:
        "logs/ingest_file/{region}/{file_id}.log",
    benchmark:
        "benchmarks/ingest_file/{region}/{file_id}.tsv"
    priority: lambda wildcards: ingestion_priority(export_of(wildcards))
    params:
        code=code_version("ingest"),
        units=unit_params,
        region_spec=region_spec,
        label_sets=config.get("label_sets", {}),
        privacy=config["privacy"],
    script:
        "../../scripts/ingest.py"


rule ingest_region:
    input:
        exports=region_exports,
        registry=input_path(config["registry"]),
        questionnaire=config["questionnaire"],
    output:
        table="results/interim/ingested/{region}.parquet",
        issues="results/interim/ingested/{region}.issues.csv",
        manifest="results/interim/ingested/{region}.manifest.json",
    log:
        "logs/ingest_region/{region}.log",
    benchmark:
        "benchmarks/ingest_region/{region}.tsv"
    priority: lambda wildcards: ingestion_priority(region_exports(wildcards))
    params:
        code=code_version("ingest"),
        units=region_units,
        region_spec=region_spec,
        label_sets=config.get("label_sets", {}),
        privacy=config["privacy"],
    script:
        "../../scripts/ingest.py"


rule harmonised:
    input:
        tables=ingested("table"),
        issues=ingested("issues"),
        questionnaire=config["questionnaire"],
    output:
        table="results/interim/harmonised.parquet",
        issues="results/interim/ingest_value_issues.csv",
    log:
        "logs/harmonised.log",
    benchmark:
        "benchmarks/harmonised/harmonised.tsv"
    params:
        code=code_version("ingest"),
    script:
        "../../scripts/harmonised.py"


# One deduce (the Dutch de-identifier, ~1.5 s and ~1.1 GB to load) for all ingestion jobs of a run,
# instead of one per job; a job that cannot reach it loads its own (see scrub_service.py).
onstart:
    check_cluster_secret()
    start_scrub_service()


onsuccess:
    stop_scrub_service()


onerror:
    stop_scrub_service()
