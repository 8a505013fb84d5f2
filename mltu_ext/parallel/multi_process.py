"""One training process per GPU on one host (JAX), through Keras' multi-process distribution.

One Python process that drives two GPUs trains this small, many-kernel
network well below twice one GPU's speed, while two independent processes,
one per GPU, each train as fast as one GPU alone
(``benchmarks/gpu_training/RESULTS.md``). ``train.py --processes N``
therefore starts N copies of itself, one GPU each, joined by
``keras.distribution.initialize`` (``jax.distributed``): the same engine and
code path as training on several hosts.

``launch(command, n)`` starts the workers with three environment variables
(coordinator address, process count, process index) and, where there are
NVIDIA GPUs, ``CUDA_VISIBLE_DEVICES`` set to one GPU each. A worker calls
``initialize_worker()`` before anything touches JAX. Worker 0 prints to the
console; the others write ``worker<i>.log`` in the log folder, and when any
worker fails the others are stopped and its log's end is printed.
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


def initialize_worker(info: WorkerInfo) -> None:
    """Join the other workers of this run; call before JAX does anything."""
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
