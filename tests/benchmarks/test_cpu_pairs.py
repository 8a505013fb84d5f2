"""benchmarks/diagnostics/cpu_pairs.py: which CPUs slow each other down."""

import os
import sys

import pytest

from benchmarks.diagnostics.cpu_pairs import shared_cores, slowdowns, timed_together


def test_shared_cores_lists_the_others_above_the_threshold():
    ratios = {0: {0: 2.0, 1: 1.02, 5: 1.4}, 1: {0: 0.98, 1: 1.9, 5: 1.16}}
    assert shared_cores(ratios, 1.15) == {0: [5], 1: [5]}  # a CPU is never its own sibling


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pins processes to CPUs")
def test_timed_together_times_one_loop_per_entry():
    cpu = sorted(os.sched_getaffinity(0))[0]
    times = timed_together([cpu, cpu], 20_000)
    assert len(times) == 2 and all(t > 0 for t in times)
    row = slowdowns(cpu, [cpu], 20_000, repeats=1)
    assert list(row) == [cpu] and row[cpu] > 0
