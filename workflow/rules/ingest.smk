# One ingestion job per raw export file (a changed export reruns only its own job), then one gather.


rule ingest_file:
    input:
        export=export_of,
        registry=input_path(config["registry"]),
        questionnaire=config["questionnaire"],
    output:
        table="results/interim/ingested/{region}/{file_id}.parquet",
        issues="results/interim/ingested/{region}/{file_id}.issues.csv",
    log:
        "logs/ingest_file/{region}/{file_id}.log",
    benchmark:
        "benchmarks/ingest_file/{region}/{file_id}.tsv"
    params:
        unit=unit_params,
        region_spec=region_spec,
        label_sets=config.get("label_sets", {}),
        privacy=config["privacy"],
    script:
        "../../scripts/ingest_file.py"


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
    script:
        "../../scripts/harmonised.py"
