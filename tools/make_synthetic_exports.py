"""Write synthetic raw exports of every supported tool, the registry and a config the workflow runs on.

    .venv/bin/python tools/make_synthetic_exports.py --responses 1000000 --regions 40 --waves 7 --seed 1 --out /tmp/borging-bench/1000000
    .venv/bin/snakemake -s Snakefile --directory /tmp/borging-bench/1000000 --configfile /tmp/borging-bench/1000000/config.yaml --cores 2

Run the workflow with $BORGING_SECRET set (the generated config does not create a secret file).
"""

from __future__ import annotations

import argparse
import sys
import time

from borgingsmonitor.synthetic.exports import make_exports


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=20000, help="analysed responses (trap rows come on top)")
    parser.add_argument("--regions", type=int, default=40)
    parser.add_argument("--partnerships", type=int, default=None, help="default: 8 per region")
    parser.add_argument("--waves", type=int, default=7, help="the last N years up to --last-wave")
    parser.add_argument("--last-wave", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trap-rate", type=float, default=0.02, help="excluded rows per analysed row")
    parser.add_argument("--no-deduce", action="store_true", help="set privacy.use_deduce: false in the config")
    parser.add_argument(
        "--out", required=True, help="folder to write (exports/, config.yaml, truth.json, fates.parquet)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    made = make_exports(
        args.out,
        args.responses,
        n_regions=args.regions,
        n_waves=args.waves,
        seed=args.seed,
        n_partnerships=args.partnerships,
        last_wave=args.last_wave,
        trap_rate=args.trap_rate,
        use_deduce=not args.no_deduce,
    )
    tools = {}
    for tool, _ in made.files.values():
        tools[tool] = tools.get(tool, 0) + 1
    rows = made.fates["tool"].value_counts().to_dict()
    print(
        f"{len(made.fates)} raw rows in {len(made.files)} files under {made.root / 'exports'} "
        f"({time.perf_counter() - start:.1f} s)",
        file=sys.stderr,
    )
    for tool in sorted(tools):
        print(f"  {tool}: {tools[tool]} files, {rows.get(tool, 0)} rows", file=sys.stderr)
    print(f"config: {made.config}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
