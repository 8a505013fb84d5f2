"""benchmarks/diagnostics/host_cpu.py: per-thread CPU seconds and busy cores from /proc."""

import os
import sys
import threading
import time

import pytest

from benchmarks.diagnostics.host_cpu import CpuMeter, machine_ticks, process_time, thread_times, thread_waits


def _fake_proc(root, threads: dict[int, tuple[str, int, int]], busy: int, idle: int, waits=None):
    for tid, (name, utime, stime) in threads.items():
        task = root / "self" / "task" / str(tid)
        task.mkdir(parents=True, exist_ok=True)
        if waits and tid in waits:  # run ns, run-queue wait ns, time slices
            (task / "schedstat").write_text(f"123 {waits[tid]} 4\n")
        rest = ["S"] + ["0"] * 10 + [str(utime), str(stime)] + ["0"] * 5
        (task / "stat").write_text(f"{tid} ({name}) " + " ".join(rest) + "\n")
    total_u = sum(u for _, u, _ in threads.values())
    total_s = sum(s for _, _, s in threads.values())
    rest = ["S"] + ["0"] * 10 + [str(total_u), str(total_s)] + ["0"] * 5
    (root / "self" / "stat").write_text("1 (python3) " + " ".join(rest) + "\n")
    (root / "stat").write_text(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 1 2 3 4\n")


def test_thread_times_and_machine_ticks_read_proc_files(tmp_path):
    ticks = os.sysconf("SC_CLK_TCK")
    _fake_proc(tmp_path, {7: ("python3", ticks, ticks), 9: ("pool (a) b", 0, ticks // 2)}, 300, 700)
    assert thread_times(tmp_path) == {7: ("python3", 2.0), 9: ("pool (a) b", 0.5)}
    assert process_time(tmp_path) == 2.5
    assert machine_ticks(tmp_path) == (300, 1000)


def test_cpu_meter_counts_the_difference_per_thread_name(tmp_path):
    ticks = os.sysconf("SC_CLK_TCK")
    _fake_proc(tmp_path, {7: ("python3", ticks, 0), 8: ("spin", 0, 0)}, 100, 900, {7: 10**9})
    with CpuMeter(tmp_path) as meter:
        _fake_proc(tmp_path, {7: ("python3", 2 * ticks, 0), 8: ("spin", 3 * ticks, 0)}, 600, 1400)
        threads = {7: ("python3", 2 * ticks, 0), 8: ("spin", 3 * ticks, 0), 11: ("spin", ticks, 0)}
        waits = {7: 3 * 10**9, 11: 5 * 10**8}  # thread 8 has no schedstat file
        _fake_proc(tmp_path, threads, 600, 1400, waits)  # thread 11 started inside the block
        time.sleep(0.05)
    report = meter.summary()
    assert report["threads"] == {"spin x2": 4.0, "python3 x1": 1.0}
    assert report["runqueue_wait_s"] == {"spin x2": 0.5, "python3 x1": 2.0}
    assert thread_waits(tmp_path) == {7: 3.0, 11: 0.5}
    assert report["unix_start"] <= report["unix_end"]
    assert report["machine_busy_cores"] == round(500 / 1000 * os.cpu_count(), 3)
    # 5 CPU seconds over the block's wall time
    assert report["process_cores"] == pytest.approx(5.0 / report["wall_s"], rel=0.05)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_cpu_meter_sees_a_busy_thread_of_this_process():
    def spin(cpu_seconds: float) -> None:
        while time.thread_time() < cpu_seconds:  # CPU time: a loaded machine only makes it longer
            pass

    release = threading.Event()

    def spin_then_wait() -> None:
        spin(0.4)
        release.wait()

    with CpuMeter() as meter:
        alive = threading.Thread(target=spin_then_wait)
        alive.start()
        ended = threading.Thread(target=spin, args=(0.4,))
        ended.start()
        ended.join()
        deadline = time.perf_counter() + 60
        # /proc counts whole clock ticks: wait until it shows most of the live spinner's 0.4 s
        while thread_times().get(alive.native_id, ("", 0.0))[1] < 0.35 and time.perf_counter() < deadline:
            time.sleep(0.01)
    release.set()
    alive.join()
    report = meter.summary()
    assert max(report["threads"].values()) >= 0.35  # the live spinner's 0.4 s, in whole ticks
    assert report["process_cores"] * report["wall_s"] >= 0.75  # both spinners, the ended one too
