"""Where a process's CPU time goes while it trains: per thread, and the machine's busy cores.

A training step launched from Python is bound by the one thread that
launches the GPU work; other threads that spin (thread pools, pollers) or
other processes can slow that thread down without showing in a GPU trace.
``CpuMeter`` reads Linux's ``/proc`` before and after a stretch of training
and reports the process's CPU seconds per thread name, how long those
threads waited for a core (run-queue waits), how many cores the process and
the whole machine kept busy, and the wall time. On systems
without ``/proc`` it reports nothing.

    with CpuMeter() as meter:
        model.fit(...)
    print(meter.summary())
"""

from __future__ import annotations

import collections
import os
import time
from pathlib import Path
from typing import Any

PROC = Path("/proc")


def _read_stat(path: Path) -> tuple[str, float]:
    """(name, CPU seconds) from a ``stat`` file of proc(5): "pid (name) state ... utime stime ..."."""
    text = path.read_text()
    name = text[text.index("(") + 1 : text.rindex(")")]  # the name may hold spaces and parentheses
    fields = text[text.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    return name, (int(fields[11]) + int(fields[12])) / ticks  # utime + stime, fields 14 and 15


def thread_times(proc: Path = PROC, pid: str = "self") -> dict[int, tuple[str, float]]:
    """{thread id: (thread name, CPU seconds used so far)} of process ``pid``."""
    times = {}
    for task in (proc / pid / "task").glob("*"):
        try:
            times[int(task.name)] = _read_stat(task / "stat")
        except OSError:
            continue  # the thread ended while we looked
    return times


def thread_waits(proc: Path = PROC, pid: str = "self") -> dict[int, float]:
    """{thread id: seconds spent runnable but waiting for a core} (``schedstat``, field 2).

    Time a thread lost to other threads or processes on its core; threads
    whose kernel keeps no scheduler statistics are left out.
    """
    waits = {}
    for task in (proc / pid / "task").glob("*"):
        try:
            waits[int(task.name)] = int((task / "schedstat").read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            continue
    return waits


def current_cpu(proc: Path = PROC) -> int | None:
    """The CPU the calling thread last ran on (``/proc/thread-self/stat`` field 39), or None."""
    try:
        text = (proc / "thread-self" / "stat").read_text()
        return int(text[text.rindex(")") + 2 :].split()[36])
    except (OSError, IndexError, ValueError):
        return None


def process_time(proc: Path = PROC, pid: str = "self") -> float:
    """CPU seconds process ``pid`` has used so far, ended threads included."""
    return _read_stat(proc / pid / "stat")[1]


def machine_ticks(proc: Path = PROC) -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot (``/proc/stat``)."""
    first = (proc / "stat").read_text().splitlines()[0].split()
    values = [int(v) for v in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU use of this process (per thread name) and of the machine over a ``with`` block."""

    def __init__(self, proc: Path = PROC, top: int = 8):
        self.proc = proc
        self.top = top
        self._start: tuple[float, float, dict[int, tuple[str, float]], tuple[int, int], dict] | None = None
        self._result: dict[str, Any] = {}

    def __enter__(self) -> CpuMeter:
        try:
            self._start = (
                time.perf_counter(),
                process_time(self.proc),
                thread_times(self.proc),
                machine_ticks(self.proc),
                thread_waits(self.proc),
            )
            self._unix_start = time.time()
        except (OSError, ValueError, IndexError):
            self._start = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._start is None:
            return
        wall0, used0, threads0, (busy0, total0), waits0 = self._start
        self._start = None  # a second exit keeps the first result
        try:
            used, threads = process_time(self.proc), thread_times(self.proc)
            (busy, total), wall = machine_ticks(self.proc), time.perf_counter()
            waits = thread_waits(self.proc)
        except (OSError, ValueError, IndexError):
            return
        seconds = wall - wall0
        by_name: collections.Counter[str] = collections.Counter()
        counts: collections.Counter[str] = collections.Counter()
        waited: collections.Counter[str] = collections.Counter()
        for tid, (name, spent) in threads.items():
            before = threads0.get(tid, (name, 0.0))[1]  # threads started inside the block from 0
            by_name[name] += spent - before
            counts[name] += 1
            if tid in waits:
                waited[name] += waits[tid] - waits0.get(tid, 0.0)
        cpus = os.cpu_count() or 1
        self._result = {
            "wall_s": round(seconds, 3),
            "process_cores": round((used - used0) / seconds, 3) if seconds else 0.0,
            "machine_busy_cores": round((busy - busy0) / max(total - total0, 1) * cpus, 3),
            "threads": {
                f"{name} x{counts[name]}": round(spent, 3) for name, spent in by_name.most_common(self.top)
            },
            # seconds the busiest threads sat runnable without a core: contention, not work
            "runqueue_wait_s": {
                f"{name} x{counts[name]}": round(waited[name], 3)
                for name, _ in by_name.most_common(self.top)
                if name in waited
            },
            "unix_start": round(self._unix_start, 3),
            "unix_end": round(time.time(), 3),
        }

    def summary(self) -> dict[str, Any]:
        """wall_s, process_cores, machine_busy_cores, the busiest thread names (CPU s), their
        run-queue waits (s) and the block's start and end (Unix time).

        Threads are those alive at the end (one that ended inside the block
        counts in process_cores only).
        """
        return dict(self._result)
