"""CPU pinning of GPU training workers: a diagnostic that brought nothing on one-NUMA-node hosts.

Kept for measurements on hosts with several NUMA nodes: ``pin_to_gpu_cores``
gives each worker's environment a disjoint share of the cores next to its
GPU (whole physical cores), and a worker calls ``pin_worker_cpus()`` before
JAX starts. Results: benchmarks/gpu_training/RESULTS.md."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from mltu_ext.errors import ConfigError

ENV_CPUS = "MLTU_EXT_CPUS"  # cores a worker pins itself to, e.g. "0-7,16-23"


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


def parse_cpu_list(text: str) -> list[int]:
    """``"0-3,8,10-11"`` (the kernel's cpulist format) -> [0, 1, 2, 3, 8, 10, 11]."""
    cpus: list[int] = []
    for part in text.strip().split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if high < low:
            raise ConfigError(f"bad CPU range {part!r} in {text!r}")
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
