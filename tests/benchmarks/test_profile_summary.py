"""benchmarks/diagnostics/profile_summary.py: busy share, NCCL time and gaps from a Perfetto trace."""

import gzip
import json

from benchmarks.diagnostics.profile_summary import (
    compare_host,
    find_traces,
    load_trace,
    merged_busy,
    summarise,
)


def _trace() -> dict:
    meta = [
        {"ph": "M", "pid": 1, "name": "process_name", "args": {"name": "/device:GPU:0"}},
        {"ph": "M", "pid": 1, "tid": 7, "name": "thread_name", "args": {"name": "Stream #13(Compute)"}},
        {"ph": "M", "pid": 1, "tid": 8, "name": "thread_name", "args": {"name": "XLA Ops"}},
        {"ph": "M", "pid": 2, "name": "process_name", "args": {"name": "/host:CPU"}},
    ]
    kernels = [  # stream 7: busy 0-40, 50-60 (overlap), 2060-2100 -> 90 us busy of 2100
        {"ph": "X", "pid": 1, "tid": 7, "ts": 0, "dur": 40, "name": "fusion_1"},
        {"ph": "X", "pid": 1, "tid": 7, "ts": 50, "dur": 10, "name": "ncclDevKernel_AllReduce"},
        {"ph": "X", "pid": 1, "tid": 7, "ts": 55, "dur": 5, "name": "fusion_1"},
        {"ph": "X", "pid": 1, "tid": 7, "ts": 2060, "dur": 40, "name": "fusion_2"},
        # the op-level thread repeats the stream's time and must not count twice
        {"ph": "X", "pid": 1, "tid": 8, "ts": 100, "dur": 1900, "name": "fusion_1"},
    ]
    host = [{"ph": "X", "pid": 2, "tid": 3, "ts": 0, "dur": 30, "name": "PjitFunction(group)"}] * 2
    return {"traceEvents": meta + kernels + host}


def test_merged_busy_counts_overlaps_once_and_lists_gaps():
    busy, gaps = merged_busy([(50, 60), (0, 40), (55, 58), (100, 110)])
    assert busy == 60
    assert gaps == [10, 40]


def test_summarise_gpu_and_host(tmp_path):
    path = tmp_path / "run" / "plugins" / "perfetto_trace.json.gz"
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt") as handle:
        json.dump(_trace(), handle)
    assert find_traces([str(tmp_path)]) == [path]
    report = summarise(load_trace(path))
    gpu = report["gpus"]["/device:GPU:0"]
    assert gpu["traced_ms"] == 2.1
    assert gpu["busy_share"] == round(90 / 2100, 4)
    assert gpu["nccl_ms"] == 0.01 and gpu["nccl_calls"] == 1
    assert gpu["kernels"] == 4  # the XLA Ops line is left out
    gaps = {"<10us": 0.0, "<100us": 0.01, "<1000us": 0.0, "<10000us": 2.0, ">=10000us": 0.0}
    assert gpu["gap_ms_by_length"] == gaps
    assert gpu["top_ms"]["fusion_1"] == 0.045
    assert report["host"]["/host:CPU"]["calls"] == {"PjitFunction(group)": 2}


def _host_trace(scale: float) -> dict:
    meta = [
        {"ph": "M", "pid": 2, "name": "process_name", "args": {"name": "/host:CPU"}},
        {"ph": "M", "pid": 2, "tid": 3, "name": "thread_name", "args": {"name": "python3"}},
        {"ph": "M", "pid": 2, "tid": 4, "name": "thread_name", "args": {"name": "Host Threads/9"}},
    ]
    events = []
    for i in range(4):
        events.append({"ph": "X", "pid": 2, "tid": 3, "ts": i, "dur": 10 * scale, "name": "launch"})
        events.append({"ph": "X", "pid": 2, "tid": 3, "ts": i, "dur": 2.0, "name": "dispatch"})
        events.append({"ph": "X", "pid": 2, "tid": 4, "ts": i, "dur": 99.0, "name": "launch"})  # other thread
    events.append({"ph": "X", "pid": 2, "tid": 3, "ts": 9, "dur": 5.0, "name": "rare"})
    return {"traceEvents": meta + events}


def test_compare_host_sets_medians_of_the_launching_thread_side_by_side():
    report = compare_host(_host_trace(1.5), _host_trace(1.0), min_count=2)
    assert report["events"] == {"launch": [15.0, 10.0, 1.5], "dispatch": [2.0, 2.0, 1.0]}
    assert report["median_ratio"] == 1.25
    too_rare = compare_host(_host_trace(1.0), _host_trace(1.0), min_count=5)
    assert too_rare == {"events": {}, "median_ratio": None}
