"""One training process per GPU on one host (JAX), through Keras' multi-process distribution.

One Python process that drives two GPUs trains this small, many-kernel
network at 1.3-1.7x one GPU, while two independent processes, one per GPU,
each train as fast as one GPU alone (``benchmarks/gpu_training_results.md``,
run 7).
``train.py --processes N`` therefore starts N copies of itself, one GPU each,
joined by ``keras.distribution.initialize`` (``jax.distributed``): the same
engine and code path as training on several hosts. Coupled by the gradient
exchange they reached 1.30-1.67x one GPU on two H200s (runs 8-11), against
1.32-1.50x for one process driving both; with eight steps per call and the
unrolled CTC loss, 1.54-1.75x (runs 16-18); with the BiLSTM unrolled too,
1.73-1.76x (runs 22-29), and 1.85x once the training step is compiled a
second time after the first epoch, which ``mltu_ext.training.trainer`` does with
several processes (``callbacks.RecompileAfterFirstEpoch``, runs 35-36).

``launch(command, n)`` starts the workers with three environment variables
(coordinator address, process count, process index) and, where there are
NVIDIA GPUs, ``CUDA_VISIBLE_DEVICES`` set to one GPU each. With
``MLTU_EXT_PIN_CPUS=1`` each worker also gets a disjoint share of the CPU
cores next to its GPU (``MLTU_EXT_CPUS``; whole physical cores, so that
two workers never share one core's hardware threads), for hosts with
several NUMA nodes; on one-node two-H200 hosts it brought nothing (1.36x
and 1.67x against 1.75x and 1.66x unpinned, run 17; 1.741x against 1.743x,
run 28), so it is off by default. A worker calls ``initialize_worker()``
before anything touches JAX. Worker 0 prints to the console; the others
write ``worker<i>.log`` in the log folder, and when any worker fails the
others are stopped and its log's end is printed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mltu_ext.errors import ConfigError

ENV_COORDINATOR = "MLTU_EXT_COORDINATOR"
ENV_PROCESSES = "MLTU_EXT_NUM_PROCESSES"
ENV_INDEX = "MLTU_EXT_PROCESS_ID"
ENV_CPUS = "MLTU_EXT_CPUS"  # cores a worker pins itself to, e.g. "0-7,16-23"
ENV_PIN = "MLTU_EXT_PIN_CPUS"  # "1": launch sets ENV_CPUS for GPU workers


@dataclass(frozen=True)
class WorkerInfo:
    """Where this process stands among the workers of one training run."""

    index: int
    count: int
    coordinator: str  # host:port of worker 0's coordination service


def worker_info(environ: Mapping[str, str] | None = None) -> WorkerInfo | None:
    """The WorkerInfo that ``launch`` put in the environment, or None outside a launched worker."""
    environ = os.environ if environ is None else environ
    if ENV_INDEX not in environ:
        return None
    try:
        index, count = int(environ[ENV_INDEX]), int(environ[ENV_PROCESSES])
        coordinator = environ[ENV_COORDINATOR]
    except (KeyError, ValueError) as error:
        raise ConfigError(
            f"{ENV_INDEX}, {ENV_PROCESSES} and {ENV_COORDINATOR} must all be set (two integers and "
            f"host:port): {error}"
        ) from None
    if not 0 <= index < count:
        raise ConfigError(f"{ENV_INDEX}={index} is not in 0..{count - 1} ({ENV_PROCESSES}={count})")
    if ":" not in coordinator:
        raise ConfigError(f"{ENV_COORDINATOR}={coordinator!r}: expected host:port")
    return WorkerInfo(index, count, coordinator)


def pin_worker_cpus(environ: Mapping[str, str] | None = None) -> list[int]:
    """Pin this process to the cores in ``MLTU_EXT_CPUS``; the cores, or [] when it is unset."""
    text = (os.environ if environ is None else environ).get(ENV_CPUS, "")
    if not text:
        return []
    try:
        cpus = parse_cpu_list(text)
        os.sched_setaffinity(0, cpus)
    except (ValueError, OSError) as error:
        raise ConfigError(f"{ENV_CPUS}={text!r}: cannot pin this worker to these cores ({error})") from None
    return cpus


def initialize_worker(info: WorkerInfo) -> None:
    """Pin to this worker's cores (``MLTU_EXT_CPUS``), then join the others.

    Call before JAX does anything: threads started later inherit the cores.
    """
    pin_worker_cpus()
    import keras

    if keras.backend.backend() != "jax":
        raise ConfigError(
            f"--processes needs KERAS_BACKEND=jax (Keras runs on {keras.backend.backend()!r}); under "
            "TensorFlow use --data-parallel (MirroredStrategy) on one process"
        )
    import jax

    # CPU-only workers (tests, machines without GPUs) exchange gradients over gloo
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    keras.distribution.initialize(
        job_addresses=info.coordinator, num_processes=info.count, process_id=info.index
    )


def _jax_processes() -> tuple[int, int]:
    """(this process's index, process count) under JAX; (0, 1) under any other backend."""
    import keras

    if keras.backend.backend() != "jax":
        return 0, 1
    import jax

    return jax.process_index(), jax.process_count()


def process_index() -> int:
    """This process's index among the JAX processes (0 without several processes)."""
    return _jax_processes()[0]


def process_count() -> int:
    """How many JAX processes train together (1 unless launched with several)."""
    return _jax_processes()[1]


def is_main_process() -> bool:
    """True in the process that writes files and prints (worker 0, or the only process)."""
    return process_index() == 0


def main_values(*values: float) -> tuple[float, ...]:
    """Worker 0's ``values`` in every worker, so that all take the same decision.

    A collective: every worker must call it at the same point (for example at
    each epoch's end). Without several processes it returns ``values``.
    """
    if process_count() == 1:
        return tuple(float(v) for v in values)
    import numpy as np
    from jax.experimental import multihost_utils

    shared = multihost_utils.broadcast_one_to_all(np.asarray(values, np.float64))
    return tuple(float(v) for v in np.asarray(shared))


def barrier(name: str) -> None:
    """Wait until every worker has reached the barrier ``name`` (nothing to wait for in one process)."""
    if process_count() == 1:
        return
    from jax.experimental import multihost_utils

    multihost_utils.sync_global_devices(name)


def free_port() -> int:
    """A TCP port on this host that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def local_gpu_count() -> int:
    """NVIDIA GPUs this process may use (``CUDA_VISIBLE_DEVICES``, else ``nvidia-smi -L``); 0 if none."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([part for part in visible.split(",") if part.strip() and part.strip() != "-1"])
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(line.startswith("GPU ") for line in out.stdout.splitlines()) if out.returncode == 0 else 0


def parse_cpu_list(text: str) -> list[int]:
    """``"0-3,8,10-11"`` (the kernel's cpulist format) -> [0, 1, 2, 3, 8, 10, 11]."""
    cpus: list[int] = []
    for part in text.strip().split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if high < low:
            raise ValueError(f"bad CPU range {part!r} in {text!r}")
        cpus += range(low, high + 1)
    return sorted(set(cpus))


def format_cpu_list(cpus: Sequence[int]) -> str:
    """[0, 1, 2, 3, 8] -> ``"0-3,8"``."""
    runs: list[list[int]] = []  # consecutive cores, each [first, last]
    for cpu in sorted(set(cpus)):
        if runs and cpu == runs[-1][1] + 1:
            runs[-1][1] = cpu
        else:
            runs.append([cpu, cpu])
    return ",".join(f"{a}-{b}" if b > a else str(a) for a, b in runs)


def cpu_shares(
    local: Sequence[Sequence[int]], allowed: set[int], siblings: Mapping[int, Sequence[int]] | None = None
) -> list[list[int]]:
    """Disjoint cores for each worker, from the cores next to its GPU.

    ``local[i]``: the cores of worker i's GPU's NUMA node. Workers whose GPUs
    share a node split its allowed physical cores into equal parts, each
    physical core with all its hardware threads (``siblings[c]``: the
    logical CPUs of c's physical core; default: each CPU its own core), so
    that no two workers share a core's execution units. A worker left with
    none gets [] (not pinned).
    """
    groups: dict[tuple[int, ...], list[int]] = {}
    for worker, cores in enumerate(local):
        groups.setdefault(tuple(sorted(set(cores) & allowed)), []).append(worker)
    shares: list[list[int]] = [[] for _ in local]
    for cores, workers in groups.items():
        physical = physical_cores(cores, siblings)
        size = len(physical) // len(workers)
        for slot, worker in enumerate(workers):
            shares[worker] = sorted(cpu for core in physical[slot * size : (slot + 1) * size] for cpu in core)
    return shares


def physical_cores(
    cpus: Sequence[int], siblings: Mapping[int, Sequence[int]] | None = None
) -> list[list[int]]:
    """``cpus`` grouped by physical core (hardware threads of one core together), by lowest CPU."""
    chosen, siblings = set(cpus), siblings or {}
    cores: dict[int, list[int]] = {}
    for cpu in sorted(chosen):
        threads = sorted({cpu, *siblings.get(cpu, ())} & chosen)
        cores.setdefault(threads[0], threads)
    return [cores[first] for first in sorted(cores)]


def core_siblings(cpus: Sequence[int]) -> dict[int, list[int]]:
    """Each CPU's hardware-thread siblings (sysfs ``thread_siblings_list``); itself where unknown."""
    siblings = {}
    for cpu in cpus:
        path = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list")
        try:
            siblings[cpu] = parse_cpu_list(path.read_text())
        except (OSError, ValueError):
            siblings[cpu] = [cpu]
    return siblings


def gpu_local_cpus(gpu_ids: Sequence[str]) -> list[list[int]] | None:
    """The cores next to each GPU (``nvidia-smi`` bus ids, sysfs ``local_cpulist``); None if unknown."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=index,pci.bus_id", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    bus = {}
    for line in out.stdout.splitlines():
        index, _, bus_id = (part.strip() for part in line.partition(","))
        domain, _, rest = bus_id.partition(":")
        bus[index] = f"{domain[-4:]}:{rest}".lower()  # 00000000:19:00.0 -> 0000:19:00.0
    local = []
    for gpu in gpu_ids:
        path = Path("/sys/bus/pci/devices") / bus.get(gpu, "?") / "local_cpulist"
        try:
            local.append(parse_cpu_list(path.read_text()))
        except (OSError, ValueError):
            return None
    return local


def worker_environments(count: int, port: int, gpus: int, base: Mapping[str, str]) -> list[dict[str, str]]:
    """The environment of each of ``count`` workers (one GPU each when there are ``count`` GPUs)."""
    if gpus and gpus < count:
        raise ConfigError(f"--processes {count}: only {gpus} GPU(s) here; start at most one process per GPU")
    visible = [p.strip() for p in base.get("CUDA_VISIBLE_DEVICES", "").split(",") if p.strip()]
    environments = []
    for index in range(count):
        env = {
            **base,
            ENV_COORDINATOR: f"127.0.0.1:{port}",
            ENV_PROCESSES: str(count),
            ENV_INDEX: str(index),
        }
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = visible[index] if visible else str(index)
        environments.append(env)
    return environments


def launch(command: Sequence[str], count: int, log_dir: str | Path, poll_seconds: float = 0.2) -> int:
    """Run ``command`` as ``count`` workers on this host; their exit code (the first failure's).

    Worker 0 shares this console; worker i > 0 writes ``log_dir/worker<i>.log``.
    When one worker fails the others are stopped (they would wait for it at
    the next gradient exchange) and the end of its log is printed.
    """
    if count < 2:
        raise ValueError(f"launch needs at least 2 workers, got {count}")
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    environments = worker_environments(count, free_port(), local_gpu_count(), os.environ)
    if os.environ.get(ENV_PIN, "0") == "1":
        pin_to_gpu_cores(environments)
    workers: list[subprocess.Popen] = []
    logs = []
    try:
        for index, env in enumerate(environments):
            if index == 0:
                workers.append(subprocess.Popen(list(command), env=env))
                continue
            log = open(log_dir / f"worker{index}.log", "w")  # closed in the finally below
            logs.append(log)
            workers.append(subprocess.Popen(list(command), env=env, stdout=log, stderr=subprocess.STDOUT))
        return _wait(workers, log_dir, poll_seconds)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        for log in logs:
            log.close()


def pin_to_gpu_cores(environments: Sequence[dict[str, str]]) -> None:
    """Set ``MLTU_EXT_CPUS`` in each GPU worker's environment (cores next to its GPU, not shared)."""
    gpu_ids = [env.get("CUDA_VISIBLE_DEVICES", "") for env in environments]
    if not all(gpu_ids) or not hasattr(os, "sched_getaffinity"):
        return  # CPU workers, or no affinity control on this system
    local = gpu_local_cpus(gpu_ids)
    if local is None:
        return
    allowed = os.sched_getaffinity(0)
    shares = cpu_shares(local, allowed, core_siblings(sorted(allowed)))
    for env, cores in zip(environments, shares, strict=True):
        if cores:
            env[ENV_CPUS] = format_cpu_list(cores)


def _wait(workers: list[subprocess.Popen], log_dir: Path, poll_seconds: float) -> int:
    while True:
        codes = [worker.poll() for worker in workers]
        failed = [i for i, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            first = failed[0]
            for worker in workers:
                if worker.poll() is None:
                    worker.terminate()
            if first > 0:
                tail = (log_dir / f"worker{first}.log").read_text(errors="replace").splitlines()[-20:]
                print(f"worker {first} failed (exit {codes[first]}); end of its log:", file=sys.stderr)
                print("\n".join(tail), file=sys.stderr)
            else:
                print(f"worker 0 failed (exit {codes[first]}); the others were stopped", file=sys.stderr)
            return int(codes[first])
        if all(code == 0 for code in codes):
            return 0
        time.sleep(poll_seconds)
