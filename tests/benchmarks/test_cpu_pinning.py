"""benchmarks/diagnostics/cpu_pinning.py: CPU lists, shares of the cores next to each GPU, pinning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.diagnostics.cpu_pinning import (
    ENV_CPUS,
    cpu_shares,
    format_cpu_list,
    parse_cpu_list,
    physical_cores,
    pin_to_gpu_cores,
)
from mltu_ext.parallel.multi_process import worker_environments

ROOT = Path(__file__).resolve().parents[2]


def test_cpu_lists_round_trip():
    assert parse_cpu_list("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11]
    assert format_cpu_list([11, 10, 8, 3, 2, 1, 0]) == "0-3,8,10-11"
    assert parse_cpu_list(format_cpu_list([5])) == [5]
    with pytest.raises(ValueError, match="bad CPU range"):
        parse_cpu_list("7-2")


def test_cpu_shares_split_a_shared_node_and_keep_separate_nodes():
    node0, node1 = list(range(0, 16)), list(range(16, 32))
    # two GPUs on one node: halves of it, no core in both
    assert cpu_shares([node0, node0], set(range(32))) == [list(range(8)), list(range(8, 16))]
    # GPUs on two nodes: each worker its own node, restricted to the cores this process may use
    assert cpu_shares([node0, node1], set(range(4, 20))) == [list(range(4, 16)), list(range(16, 20))]
    # no allowed core next to a GPU: that worker is not pinned
    assert cpu_shares([node0, node1], set(range(16))) == [node0, []]


def test_cpu_shares_keep_hardware_threads_of_a_core_together():
    # 8 physical cores with two threads each, numbered c and c + 8 (as Linux numbers them)
    siblings = {c: [c % 8, c % 8 + 8] for c in range(16)}
    node = list(range(16))
    first, second = cpu_shares([node, node], set(node), siblings)
    assert first == [0, 1, 2, 3, 8, 9, 10, 11] and second == [4, 5, 6, 7, 12, 13, 14, 15]
    assert not {siblings[c][0] for c in first} & {siblings[c][0] for c in second}  # no core shared
    # a thread this process may not use stays out; its sibling still counts as the core
    assert physical_cores([0, 1, 9], siblings) == [[0], [1, 9]]
    # unknown topology: every CPU its own core, as before
    assert physical_cores([3, 1, 2]) == [[1], [2], [3]]


def test_no_pinning_without_gpus_or_their_topology(monkeypatch):
    cpu_workers = worker_environments(2, 6000, gpus=0, base={})
    pin_to_gpu_cores(cpu_workers)
    assert all(ENV_CPUS not in env for env in cpu_workers)
    gpu_workers = worker_environments(2, 6000, gpus=2, base={})
    monkeypatch.setattr("benchmarks.diagnostics.cpu_pinning.gpu_local_cpus", lambda ids: None)
    pin_to_gpu_cores(gpu_workers)
    assert all(ENV_CPUS not in env for env in gpu_workers)
    monkeypatch.setattr("benchmarks.diagnostics.cpu_pinning.gpu_local_cpus", lambda ids: [[0, 1], [0, 1]])
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    pin_to_gpu_cores(gpu_workers)
    assert [env[ENV_CPUS] for env in gpu_workers] == ["0", "1"]


def test_a_worker_pins_itself_to_its_cores(tmp_path):
    """In a launched worker (before JAX starts) the affinity becomes MLTU_EXT_CPUS."""
    first = min(os.sched_getaffinity(0))
    code = (
        "import os\n"
        "from benchmarks.diagnostics.cpu_pinning import pin_worker_cpus\n"
        "print(pin_worker_cpus(), sorted(os.sched_getaffinity(0)))\n"
    )
    env = {**os.environ, ENV_CPUS: str(first), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split("] ")[1].strip() == f"[{first}]", done.stderr
    env[ENV_CPUS] = "99999"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "cannot pin this worker" in done.stderr
