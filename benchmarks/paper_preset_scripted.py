"""The full ``paper`` preset (271 configurations) x 1 epoch on the scripted model: wall time.

Runs ``run_experiment`` exactly as ``peerpreserve run paper --model scripted/compliant
--epochs 1`` does (an Inspect eval set over the six families, logs written per sample) in
a temporary folder, then reads the logs back into the results table and writes the
report, and prints the time of each step.

Usage::

    python benchmarks/paper_preset_scripted.py
    python benchmarks/paper_preset_scripted.py --model scripted/copy_rename --epochs 2 --keep runs/paper-scripted
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from peerpreserve.conditions import load_experiment
from peerpreserve.inspect_adapter.logs import rows_from_log_dir
from peerpreserve.inspect_adapter.run import run_experiment
from peerpreserve.report import write_report
from peerpreserve.results import write_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="scripted/compliant", help="scripted/compliant plays every family")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-samples", type=int, default=None, help="samples at once per task (Inspect's default if unset)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: the preset's, auto)")
    parser.add_argument("--keep", type=Path, default=None, help="copy the run folder here afterwards")
    args = parser.parse_args()

    exp = load_experiment("paper")
    per_family = {s: len(exp.cells_for(s)) for s in exp.all_scenarios()}
    configs = sum(per_family.values())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"paper preset: {configs} configurations ({', '.join(f'{k} {v}' for k, v in per_family.items())}) "
          f"x {args.epochs} epoch(s), model {args.model}")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        started = time.perf_counter()
        ok = run_experiment(exp, out / "logs", models=[args.model], epochs=args.epochs, display="none", workers=args.workers,
                            max_samples=args.max_samples)
        run_s = time.perf_counter() - started

        started = time.perf_counter()
        rows = rows_from_log_dir(out / "logs")
        read_s = time.perf_counter() - started

        started = time.perf_counter()
        write_rows(rows, out / "results.csv")
        write_report(rows, out, title="paper preset, scripted")
        report_s = time.perf_counter() - started
        if args.keep:
            shutil.copytree(out, args.keep, dirs_exist_ok=True)

    status = Counter(r["status"] for r in rows)
    expected = configs * args.epochs
    print(f"completed: {ok}; trials in the results table: {len(rows)} of {expected} ({dict(status)})")
    print(f"run (eval set, six tasks)   {run_s:8.1f} s   ({run_s / max(len(rows), 1) * 1000:.0f} ms per trial)")
    print(f"logs -> rows                {read_s:8.1f} s")
    print(f"results.csv + report        {report_s:8.1f} s")
    print(f"total                       {run_s + read_s + report_s:8.1f} s")


if __name__ == "__main__":
    main()
