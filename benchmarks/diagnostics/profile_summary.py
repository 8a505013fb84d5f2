"""Summarise a ``jax.profiler`` Perfetto trace of training on GPUs.

``benchmarks/gpu_training/gpu_training.py --profile DIR`` traces one epoch per measurement; this
script reads each ``perfetto_trace.json.gz`` under the folders given and
prints, per GPU: how much of the traced time a kernel or copy was running
(busy), the time inside NCCL kernels (an all-reduce kernel runs until the
slowest GPU has joined it, so with several training processes this is
where a GPU waits for the other), idle gaps by length, and the kernels that
take the most time. On the host it counts the compiled-function calls.

    python benchmarks/diagnostics/profile_summary.py /tmp/prof --out summary.json

``--compare A B`` instead sets two traces of the same training side by side
on the host: for every event that the thread launching the work (``python3``)
records at least ``--min-count`` times in both, the median duration in each
and their ratio (A over B), and the median of those ratios. Two runs of the
same compiled step launch the same calls, so a ratio well away from 1 across
Python, dispatch and CUDA launch events alike says the host itself ran
slower, not the work.

    python benchmarks/diagnostics/profile_summary.py --compare first.json.gz second.json.gz
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# idle gaps on a GPU, sorted into these bins (microseconds)
GAP_BINS = (10, 100, 1000, 10000)


def load_trace(path: Path) -> dict[str, Any]:
    """The trace's JSON object (``traceEvents`` list inside)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        return json.load(handle)


def _names(events: Iterable[dict[str, Any]]) -> tuple[dict[int, str], dict[tuple[int, int], str]]:
    processes, threads = {}, {}
    for e in events:
        if e.get("ph") != "M":
            continue
        if e.get("name") == "process_name":
            processes[e["pid"]] = e["args"]["name"]
        elif e.get("name") == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
    return processes, threads


def merged_busy(intervals: Sequence[tuple[float, float]]) -> tuple[float, list[float]]:
    """(total covered time, gaps between covered stretches) of ``(start, end)`` intervals."""
    busy, gaps = 0.0, []
    end = None
    for start, stop in sorted(intervals):
        if end is None:
            busy, end = stop - start, stop
        elif start > end:
            gaps.append(start - end)
            busy += stop - start
            end = stop
        elif stop > end:
            busy += stop - end
            end = stop
    return busy, gaps


def summarise(trace: dict[str, Any], top: int = 8) -> dict[str, Any]:
    """Per-GPU busy share, NCCL time, gap bins and top kernels; host call counts."""
    events = trace["traceEvents"]
    processes, threads = _names(events)
    spans = [e for e in events if e.get("ph") == "X" and "dur" in e]
    out: dict[str, Any] = {"gpus": {}, "host": {}}
    for pid, name in sorted(processes.items(), key=lambda item: item[1]):
        mine = [e for e in spans if e["pid"] == pid]
        if not mine:
            continue
        if name.startswith("/device:GPU"):
            # kernels and copies sit on the stream threads; other threads (XLA Ops,
            # XLA Modules, Steps) repeat the same time at a coarser level
            streams = [e for e in mine if threads.get((pid, e["tid"]), "").startswith("Stream")]
            work = streams or mine
            start = min(e["ts"] for e in work)
            stop = max(e["ts"] + e["dur"] for e in work)
            busy, gaps = merged_busy([(e["ts"], e["ts"] + e["dur"]) for e in work])
            nccl = [e for e in work if "nccl" in e["name"].lower()]
            totals: collections.Counter[str] = collections.Counter()
            for e in work:
                totals[e["name"][:80]] += e["dur"]
            bins = {f"<{b}us": 0.0 for b in GAP_BINS} | {f">={GAP_BINS[-1]}us": 0.0}
            for gap in gaps:
                key = next((f"<{b}us" for b in GAP_BINS if gap < b), f">={GAP_BINS[-1]}us")
                bins[key] += gap
            wall = stop - start
            out["gpus"][name] = {
                "traced_ms": round(wall / 1000, 3),
                "busy_share": round(busy / wall, 4) if wall else 0.0,
                "nccl_ms": round(sum(e["dur"] for e in nccl) / 1000, 3),
                "nccl_calls": len(nccl),
                "gap_ms_by_length": {k: round(v / 1000, 3) for k, v in bins.items()},
                "kernels": len(work),
                "top_ms": {k: round(v / 1000, 3) for k, v in totals.most_common(top)},
            }
        else:
            calls = collections.Counter(e["name"] for e in mine if e["name"].startswith("PjitFunction"))
            out["host"][name] = {
                "calls": dict(calls.most_common(top)),
                "call_ms": {
                    k: round(sum(e["dur"] for e in mine if e["name"] == k) / 1000, 3)
                    for k, _ in calls.most_common(top)
                },
            }
    return out


def host_event_durations(trace: dict[str, Any], thread: str = "python3") -> dict[str, list[float]]:
    """Durations (us) of each named event on the host threads called ``thread``."""
    events = trace["traceEvents"]
    processes, threads = _names(events)
    durations: dict[str, list[float]] = collections.defaultdict(list)
    for e in events:
        if e.get("ph") != "X" or "dur" not in e:
            continue
        on_host = processes.get(e["pid"], "").startswith("/host")
        if on_host and threads.get((e["pid"], e.get("tid"))) == thread:
            durations[e["name"]].append(float(e["dur"]))
    return dict(durations)


def compare_host(
    first: dict[str, Any], second: dict[str, Any], min_count: int = 100, thread: str = "python3"
) -> dict[str, Any]:
    """Median durations of the host events both traces share (``min_count`` times or more in each).

    Returns ``events`` (name -> [median in first, median in second, ratio],
    largest ratio first) and ``median_ratio``.
    """
    a, b = host_event_durations(first, thread), host_event_durations(second, thread)
    rows = {}
    for name in a.keys() & b.keys():
        if len(a[name]) < min_count or len(b[name]) < min_count:
            continue
        median_a, median_b = statistics.median(a[name]), statistics.median(b[name])
        if median_b > 0:
            rows[name] = [round(median_a, 3), round(median_b, 3), round(median_a / median_b, 3)]
    ordered = dict(sorted(rows.items(), key=lambda item: -item[1][2]))
    ratios = [row[2] for row in rows.values()]
    return {"events": ordered, "median_ratio": round(statistics.median(ratios), 3) if ratios else None}


def find_traces(folders: Sequence[str]) -> list[Path]:
    """Every ``perfetto_trace.json.gz`` under ``folders`` (files are taken as given)."""
    found = []
    for folder in folders:
        path = Path(folder)
        found += [path] if path.is_file() else sorted(path.rglob("perfetto_trace.json.gz"))
    return found


def get_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "paths", nargs="+", help="trace files or folders to search for perfetto_trace.json.gz"
    )
    parser.add_argument("--top", type=int, default=8, help="kernels to list per GPU")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="two trace files: host event medians side by side (first over second)",
    )
    parser.add_argument(
        "--min-count", type=int, default=100, help="with --compare: events seen fewer times are left out"
    )
    parser.add_argument("--out", default=None, help="JSON file for the summaries")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.compare:
        paths = [Path(p) for p in args.paths]
        if len(paths) != 2 or not all(p.is_file() for p in paths):
            raise SystemExit(f"--compare takes two trace files, got {', '.join(args.paths)}")
        report = compare_host(load_trace(paths[0]), load_trace(paths[1]), args.min_count)
        report = {"first": str(paths[0]), "second": str(paths[1]), **report}
    else:
        traces = find_traces(args.paths)
        if not traces:
            raise SystemExit(f"no perfetto_trace.json.gz under {', '.join(args.paths)}")
        report = {str(path): summarise(load_trace(path), args.top) for path in traces}
    text = json.dumps(report, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return report


def main() -> None:
    run(get_args())


if __name__ == "__main__":
    main()
