"""Which CPUs slow each other down: a probe for cores shared below the operating system.

A virtual machine may report one thread per core while the host behind it
runs two of its virtual CPUs on the two hardware threads of one physical
core. Two busy threads placed there each run some 20-40 % slower, and
nothing inside the guest (``lscpu``, ``/sys``) says so. A training process
whose launching thread is the bottleneck (several GPUs, one process each)
loses that much speed when the scheduler happens to put two launchers on
such a pair.

For each probed CPU this script times a fixed pure-Python loop pinned to it,
alone and then together with the same loop pinned to every other CPU in turn,
and reports the slowdown (together over alone). The CPU itself is included
as a check: two loops on one core take about twice as long.

    python benchmarks/diagnostics/cpu_pairs.py --probe 0,1,2,3 --out pairs.json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def spin(n: int) -> float:
    """Seconds to run ``n`` iterations of a small integer loop."""
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i & 7
    return time.perf_counter() - start


def _pinned(cpu: int, n: int, barrier, queue) -> None:
    os.sched_setaffinity(0, {cpu})
    spin(n // 10)  # settle on the core before the others start
    barrier.wait()
    queue.put((cpu, spin(n)))


def timed_together(cpus: Sequence[int], n: int) -> list[float]:
    """Seconds each loop took, one process per entry of ``cpus`` (pinned there), all at once."""
    ctx = mp.get_context("fork")
    barrier, queue = ctx.Barrier(len(cpus)), ctx.Queue()
    procs = [ctx.Process(target=_pinned, args=(cpu, n, barrier, queue)) for cpu in cpus]
    for proc in procs:
        proc.start()
    times = [queue.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
    # two entries may name the same CPU: keep the first one's time for it
    return [next(t for c, t in times if c == cpu) for cpu in cpus]


def slowdowns(probe: int, others: Sequence[int], n: int, repeats: int = 3) -> dict[int, float]:
    """{other CPU: time of the loop on ``probe`` beside one on it / time alone} (best of ``repeats``)."""
    alone = min(timed_together([probe], n)[0] for _ in range(repeats))
    return {
        other: round(min(timed_together([probe, other], n)[0] for _ in range(repeats)) / alone, 3)
        for other in others
    }


def shared_cores(ratios: dict[int, dict[int, float]], threshold: float) -> dict[int, list[int]]:
    """{probed CPU: the other CPUs that slowed it by more than ``threshold``} (itself left out)."""
    return {
        probe: sorted(other for other, ratio in row.items() if other != probe and ratio > threshold)
        for probe, row in ratios.items()
    }


def get_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--probe", default="0", help="comma-separated CPUs to probe (default 0)")
    parser.add_argument("--loops", type=int, default=2_000_000, help="loop iterations per timing")
    parser.add_argument("--repeats", type=int, default=3, help="timings per pair (the best counts)")
    parser.add_argument("--threshold", type=float, default=1.15, help="slowdown that marks a shared core")
    parser.add_argument("--out", help="write the ratios here as JSON")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    allowed = sorted(os.sched_getaffinity(0))
    probes = [int(c) for c in args.probe.split(",")]
    missing = [c for c in probes if c not in allowed]
    if missing:
        raise SystemExit(f"--probe {args.probe}: CPUs {missing} are not available (have {allowed})")
    ratios = {probe: slowdowns(probe, allowed, args.loops, args.repeats) for probe in probes}
    report = {
        "cpus": allowed,
        "ratios": {str(k): {str(o): r for o, r in row.items()} for k, row in ratios.items()},
        "shared": {str(k): v for k, v in shared_cores(ratios, args.threshold).items()},
        "threshold": args.threshold,
    }
    for probe, row in ratios.items():
        others = " ".join(f"{o}:{r:.2f}" for o, r in row.items())
        print(f"cpu {probe}: itself {row[probe]:.2f}x, beside each CPU {others}")
    print("shared cores:", report["shared"])
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    return report


def main() -> None:
    run(get_args())


if __name__ == "__main__":
    main()
