"""Benchmark the whole workflow on synthetic exports of 20,000 / 200,000 / 1,000,000 responses.

    nice .venv/bin/python tools/benchmark_workflow.py [--sizes 20000 200000 1000000] [--quick]
        [--root /tmp/borging-bench] [--no-deduce] [--skip-models] [--json out.json] [--markdown out.md]

For each size: generate the exports (tools/make_synthetic_exports.py's generator, seeded) into
ROOT/<size> unless they are there, run the real Snakefile from scratch under /usr/bin/time -v (wall
time, the max RSS of the largest process) while sampling the summed RSS of all its processes (the
peak memory the machine needs), then run it again (a no-op rerun must decide in seconds). Per step: the jobs' Snakemake `benchmark:` files (wall s, CPU s, max RSS).
Ingestion against a bare read of the same files with the libraries the adapters use: pyarrow.csv for
the CSVs (every column as text, the tool's encoding, delimiter and header rows), pandas.read_excel
(openpyxl) for xlsx and pyreadstat.read_sav for .sav; xlsx and sav have no pyarrow reader, so their
"bare" read is that library call. Ingestion and bare read are compared in CPU seconds (pyarrow reads
with threads; the ingestion jobs run two at a time), without and with the gather step. The main model against statsmodels MixedLM (tools/benchmark_models.py,
statsmodels capped at 200,000 rows) and the 2,000-resample bootstrap against the naive refit loop
(tools/benchmark_bootstrap.py), in the same run. --quick: 20,000 only, no model comparisons.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SNAKEMAKE = str(BIN / "snakemake")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000, 1_000_000])
    p.add_argument("--quick", action="store_true", help="20,000 responses only, no model comparisons")
    p.add_argument("--root", default="/tmp/borging-bench", help="scratch folder outside the repository")
    p.add_argument("--regions", type=int, default=40)
    p.add_argument("--waves", type=int, default=7)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--no-deduce", action="store_true", help="privacy.use_deduce: false in the generated config")
    p.add_argument(
        "--ingestion",
        choices=["per_file", "per_region"],
        default="per_region",
        help="ingestion.jobs in the generated config (per_region: one job per region)",
    )
    p.add_argument("--skip-models", action="store_true", help="no statsmodels / naive bootstrap comparison")
    p.add_argument("--timeout", type=int, default=3 * 3600, help="seconds allowed for one workflow run")
    p.add_argument("--json", help="write all figures to this JSON file")
    p.add_argument("--markdown", help="write the tables to this Markdown file")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.skip_models = [20_000], True
    return args


def generate(size: int, args) -> tuple[Path, float]:
    from borgingsmonitor.synthetic.exports import make_exports

    folder = Path(args.root) / str(size)
    stamp = folder / ".generated.json"
    wanted = {
        "size": size,
        "regions": args.regions,
        "waves": args.waves,
        "seed": args.seed,
        "deduce": not args.no_deduce,
    }
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return folder, float("nan")
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    make_exports(
        folder, size, n_regions=args.regions, n_waves=args.waves, seed=args.seed, use_deduce=not args.no_deduce
    )
    seconds = time.perf_counter() - start
    stamp.write_text(json.dumps(wanted))
    return folder, seconds


def set_ingestion(folder: Path, jobs: str) -> None:
    import yaml

    path = folder / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["ingestion"] = {"jobs": jobs}
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run_workflow(folder: Path, args, fresh: bool) -> dict:
    set_ingestion(folder, args.ingestion)
    if fresh:
        for sub in ("results", "logs", "benchmarks", ".snakemake"):
            shutil.rmtree(folder / sub, ignore_errors=True)
    command = [
        "/usr/bin/time",
        "-v",
        SNAKEMAKE,
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(folder),
        "--configfile",
        str(folder / "config.yaml"),
        "--cores",
        str(args.cores),
    ]
    env = {**os.environ, "BORGING_SECRET": os.environ.get("BORGING_SECRET", "benchmark-secret-for-synthetic-data-only")}
    start = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        sampler = TreeMemory(proc.pid)
        sampler.start()
        stdout, stderr = proc.communicate(timeout=args.timeout)
        sampler.stop.set()
        sampler.join()
    wall = time.perf_counter() - start
    (folder / ("run_fresh.log" if fresh else "run_noop.log")).write_text(stdout + stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    # Snakemake, its jobs and the scrub service, as the kernel counts them: on a shared machine the
    # wall time grows with the load, CPU seconds much less
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", stderr))
    return {
        "ok": proc.returncode == 0,
        "wall_s": wall,
        "cpu_s": cpu,
        "max_rss_mb": int(rss.group(1)) / 1024 if rss else None,
        "tree_peak_mb": sampler.peak_kb / 1024,
        "sampler_cpu_s": sampler.cpu_s,
        "jobs": len(re.findall(r"^\s*Finished jobid", stderr, flags=re.M)),
    }


class TreeMemory(threading.Thread):
    """The peak of the summed RSS of a process and all its descendants (Snakemake, its jobs, the scrub
    service), sampled every 0.25 s: what the machine must hold, not just its largest process. It reads
    one line per process (/proc/<pid>/stat) and counts its own CPU seconds, so the cost of measuring
    is known (it runs on the same two cores)."""

    PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root, self.peak_kb, self.cpu_s, self.stop = pid, 0, 0.0, threading.Event()

    def run(self):
        while not self.stop.wait(0.25):
            self.peak_kb = max(self.peak_kb, sum(rss for pid, rss in self.tree()))
        self.cpu_s = time.thread_time()

    def tree(self):
        parents, rss = {}, {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            pid = int(stat.parent.name)
            parents[pid] = int(fields[1])  # after "pid (comm)": state, ppid, ...; rss is field 24
            rss[pid] = int(fields[21]) * self.PAGE_KB
        for pid in rss:
            p = pid
            while p and p != self.root:
                p = parents.get(p, 0)
            if p == self.root:
                yield pid, rss[pid]


PHASE = """
import resource, sys, time
from snakemake.cli import main
start = time.perf_counter()
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
me, jobs = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print("PHASE", code, time.perf_counter() - start, me.ru_utime + me.ru_stime, jobs.ru_utime + jobs.ru_stime)
"""


def ingestion_phase(folder: Path, args) -> dict:
    """Ingestion as a user runs it: every ingestion job (forced) and the gather, in one Snakemake run.
    Wall time, and CPU seconds as the kernel counts them (Snakemake's own process apart from its jobs
    and the scrub service), not sampled like the `benchmark:` files (every 0.5 s, missing each job's end)."""
    rule = "ingest_region" if args.ingestion == "per_region" else "ingest_file"
    command = [
        sys.executable,
        "-c",
        PHASE,
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(folder),
        "--configfile",
        str(folder / "config.yaml"),
        "--cores",
        str(args.cores),
        "--forcerun",
        rule,
        "--until",
        "harmonised",
        "--quiet",
    ]
    env = {**os.environ, "BORGING_SECRET": os.environ.get("BORGING_SECRET", "benchmark-secret-for-synthetic-data-only")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=args.timeout)
    code, wall, own, jobs = done.stdout.split("PHASE")[-1].split()
    return {
        "ok": code in ("0", "None"),
        "wall_s": float(wall),
        "snakemake_cpu_s": float(own),
        "jobs_cpu_s": float(jobs),
    }


def step_table(folder: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((folder / "benchmarks").rglob("*.tsv")):
        rule = path.relative_to(folder / "benchmarks").parts[0]
        b = pd.read_csv(path, sep="\t").iloc[-1]
        rows.append(
            {
                "rule": rule,
                "s": b["s"],
                "cpu_s": b["cpu_time"],
                "max_rss_mb": b["max_rss"],
                "job": path.stem,
                "region": path.parent.name,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return (
        table.groupby("rule")
        .agg(
            jobs=("s", "size"),
            wall_s_sum=("s", "sum"),
            wall_s_max=("s", "max"),
            cpu_s_sum=("cpu_s", "sum"),
            max_rss_mb=("max_rss_mb", "max"),
        )
        .reset_index()
    )


def bare_read(folder: Path) -> pd.DataFrame:
    """Seconds to read every export with the bare library call, per tool."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyreadstat
    import yaml

    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    rows = []
    for region, spec in config["regions"].items():
        for source in spec["sources"]:
            tool = source["tool"]
            for entry in source["files"]:
                path = folder / config["input_dir"] / entry["path"]
                start, cpu = time.perf_counter(), time.process_time()
                if tool == "msforms":
                    n = len(pd.read_excel(path, dtype=object, engine="openpyxl"))
                elif tool == "spss":
                    n = len(pyreadstat.read_sav(str(path), user_missing=True)[0])
                else:
                    skip = 3 if tool == "qualtrics" else 1
                    encoding = source.get("encoding", "utf-8")
                    with open(path, encoding="utf-8-sig" if encoding == "utf-8" else encoding) as handle:
                        names = next(__import__("csv").reader(handle, delimiter=source.get("delimiter", ",")))
                    table = pacsv.read_csv(
                        path,
                        read_options=pacsv.ReadOptions(encoding=encoding, column_names=names, skip_rows=skip),
                        parse_options=pacsv.ParseOptions(
                            delimiter=source.get("delimiter", ","), newlines_in_values=True
                        ),
                        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names}),
                    )
                    n = table.num_rows
                rows.append(
                    {
                        "tool": tool,
                        "region": region,
                        "file": entry["path"],
                        "rows": n,
                        "bare_s": time.perf_counter() - start,
                        "bare_cpu_s": time.process_time() - cpu,
                    }
                )
    return pd.DataFrame(rows)


def ingestion_vs_bare(folder: Path, bare: pd.DataFrame) -> pd.DataFrame:
    import yaml

    from borgingsmonitor.ingest.sources import file_units

    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    tools = {(u.region, u.file_id): (u.settings.tool, u.path) for u in file_units(config)}
    rows = []
    for (region, fid), (_tool, path) in tools.items():
        tsv = folder / "benchmarks" / "ingest_file" / region / f"{fid}.tsv"
        if tsv.exists():
            b = pd.read_csv(tsv, sep="\t").iloc[-1]
            rows.append({"file": path, "ingest_s": b["s"], "ingest_cpu_s": b["cpu_time"]})
    if not rows:  # per-region jobs: one benchmark file per region, compared in total
        per_region = [
            pd.read_csv(t, sep="\t").iloc[-1] for t in sorted((folder / "benchmarks" / "ingest_region").glob("*.tsv"))
        ]
        gather = pd.read_csv(folder / "benchmarks" / "harmonised" / "harmonised.tsv", sep="\t").iloc[-1]
        total = {
            "tool": "all (per-region jobs)",
            "files": len(bare),
            "rows": bare["rows"].sum(),
            "bare_wall_s": bare["bare_s"].sum(),
            "bare_cpu_s": bare["bare_cpu_s"].sum(),
            "ingest_wall_s": sum(b["s"] for b in per_region),
            "ingest_cpu_s": sum(b["cpu_time"] for b in per_region),
            "gather_cpu_s": gather["cpu_time"],
        }
        out = pd.DataFrame([total])
        out["cpu_ratio"] = out["ingest_cpu_s"] / out["bare_cpu_s"]
        out["cpu_ratio_with_gather"] = (out["ingest_cpu_s"] + out["gather_cpu_s"]) / out["bare_cpu_s"]
        return out
    both = bare.merge(pd.DataFrame(rows), on="file", how="left")
    out = (
        both.groupby("tool")
        .agg(
            files=("file", "size"),
            rows=("rows", "sum"),
            bare_s=("bare_s", "sum"),
            ingest_wall_s=("ingest_s", "sum"),
            ingest_cpu_s=("ingest_cpu_s", "sum"),
        )
        .reset_index()
    )
    total = out.sum(numeric_only=True)
    out = pd.concat([out, pd.DataFrame([{"tool": "all", **total.to_dict()}])], ignore_index=True)
    out["cpu_ratio"] = out["ingest_cpu_s"] / out["bare_s"]
    return out


def model_comparison(size: int) -> dict:
    out = {}
    tmp = Path(f"/tmp/borging-bench/models-{size}.json")
    subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "benchmark_models.py"),
            "--sizes",
            str(size),
            "--max-statsmodels",
            "200000",
            "--json",
            str(tmp),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if tmp.exists():
        out["models"] = json.loads(tmp.read_text())
    boot = subprocess.run(
        [sys.executable, str(REPO / "tools" / "benchmark_bootstrap.py"), "--sizes", str(size), "--naive-draws", "10"],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    out["bootstrap_stdout"] = boot.stdout
    return out


def sheet_ms(folder: Path, steps: pd.DataFrame) -> float:
    """CPU milliseconds per feedback sheet: the `partnership_sheets` job's CPU over the sheets it wrote
    (the index page aside), start-up and reading included."""
    sheets = [p for p in (folder / "results/report/partnerships").glob("*.html") if p.name != "index.html"]
    job = steps.loc[steps["rule"] == "partnership_sheets", "cpu_s_sum"] if not steps.empty else []
    return 1000 * float(job.iloc[0]) / len(sheets) if len(job) and sheets else float("nan")


def summary_row(size: int, bare: pd.DataFrame, fresh: dict, noop: dict, phase: dict, per_sheet: float) -> dict:
    """One line per size: the whole run and the ingestion phase against the bare read, wall and CPU."""
    bare_wall, bare_cpu = bare["bare_s"].sum(), bare["bare_cpu_s"].sum()
    phase_cpu = phase["snakemake_cpu_s"] + phase["jobs_cpu_s"]
    return {
        "raw rows": int(bare["rows"].sum()),
        "files": len(bare),
        "bare read s": bare_wall,
        "bare read CPU s": bare_cpu,
        "whole run s": fresh["wall_s"],
        "whole run CPU s": fresh["cpu_s"],
        "whole/bare (wall)": fresh["wall_s"] / bare_wall,
        "whole/bare (CPU)": fresh["cpu_s"] / bare_cpu,
        "ingestion phase s": phase["wall_s"],
        "ingestion phase CPU s": phase_cpu,
        "ingestion/bare (wall)": phase["wall_s"] / bare_wall,
        "ingestion/bare (CPU)": phase_cpu / bare_cpu,
        "no-op rerun s": noop["wall_s"],
        "peak memory MB": fresh["tree_peak_mb"],
        "CPU ms per feedback sheet": per_sheet,
    }


def machine() -> dict:
    mem = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "?"
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(int(mem) / 1024**2, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "date": dt.datetime.now().isoformat(timespec="minutes"),
        "load_before": os.getloadavg(),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    report = {"machine": machine(), "command": " ".join(sys.argv), "sizes": {}}
    lines = [f"machine: {report['machine']}", ""]
    summary = []
    for size in args.sizes:
        folder, gen_s = generate(size, args)
        print(f"== {size} responses in {folder} (generated in {gen_s:.1f} s)", file=sys.stderr)
        fresh = run_workflow(folder, args, fresh=True)
        noop = run_workflow(folder, args, fresh=False)
        steps = step_table(folder)
        bare = bare_read(folder)
        ingestion = ingestion_vs_bare(folder, bare)
        phase = ingestion_phase(folder, args)
        bare_wall, bare_cpu = bare["bare_s"].sum(), bare["bare_cpu_s"].sum()
        phase["bare_wall_s"], phase["bare_cpu_s"] = bare_wall, bare_cpu
        phase["wall_ratio"] = phase["wall_s"] / bare_wall
        phase["cpu_ratio"] = (phase["snakemake_cpu_s"] + phase["jobs_cpu_s"]) / bare_cpu
        entry = {
            "generate_s": gen_s,
            "fresh": fresh,
            "noop": noop,
            "steps": steps.to_dict("records"),
            "ingestion": ingestion.to_dict("records"),
            "ingestion_phase": phase,
            "load_after": os.getloadavg(),
        }
        if not args.skip_models:
            entry.update(model_comparison(size))
        report["sizes"][size] = entry
        summary.append(summary_row(size, bare, fresh, noop, phase, sheet_ms(folder, steps)))
        lines += [
            f"## {size} responses",
            "",
            f"whole run: {fresh['wall_s']:.1f} s wall, {fresh['cpu_s']:.1f} CPU s, peak memory {fresh['tree_peak_mb']:.0f} MB (all processes together; "
            f"largest single process {fresh['max_rss_mb']:.0f} MB; the memory sampler used {fresh['sampler_cpu_s']:.1f} CPU s), ok={fresh['ok']}, {fresh['jobs']} jobs; "
            f"no-op rerun {noop['wall_s']:.1f} s (ok={noop['ok']}, {noop['jobs']} jobs)",
            "",
            steps.to_markdown(index=False, floatfmt=".2f") if not steps.empty else "(no benchmark files)",
            "",
            ingestion.to_markdown(index=False, floatfmt=".2f"),
            "",
            f"ingestion phase (all ingestion jobs forced, and the gather, in one run; ok={phase['ok']}): "
            f"{phase['wall_s']:.1f} s wall vs {bare_wall:.1f} s for the bare read ({phase['wall_ratio']:.2f}x); "
            f"CPU {phase['jobs_cpu_s']:.1f} s in jobs and the scrub service + {phase['snakemake_cpu_s']:.1f} s in "
            f"Snakemake itself vs {bare_cpu:.1f} s ({phase['cpu_ratio']:.2f}x)",
            "",
        ]
        if "bootstrap_stdout" in entry:
            lines += ["```", entry["bootstrap_stdout"].strip(), "```", ""]
        if "models" in entry:
            lines += ["```", json.dumps(entry["models"], indent=1)[:3000], "```", ""]
        print("\n".join(lines[-12:]), file=sys.stderr)
    lines += ["## Summary", "", pd.DataFrame(summary).to_markdown(index=False, floatfmt=".1f"), ""]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
