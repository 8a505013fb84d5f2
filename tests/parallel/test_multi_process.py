"""One training process per device: the launcher, the worker settings, and train.py --processes 2 on CPUs."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mltu_ext.parallel.multi_process import (
    ENV_COORDINATOR,
    ENV_INDEX,
    ENV_PROCESSES,
    launch,
    worker_environments,
    worker_info,
)

ROOT = Path(__file__).resolve().parents[2]


def test_worker_info_reads_the_launchers_variables():
    assert worker_info({}) is None  # not a launched worker
    info = worker_info({ENV_INDEX: "1", ENV_PROCESSES: "2", ENV_COORDINATOR: "127.0.0.1:5000"})
    assert (info.index, info.count, info.coordinator) == (1, 2, "127.0.0.1:5000")
    with pytest.raises(ValueError, match=r"not in 0\.\.1"):
        worker_info({ENV_INDEX: "2", ENV_PROCESSES: "2", ENV_COORDINATOR: "h:1"})
    with pytest.raises(ValueError, match="must all be set"):
        worker_info({ENV_INDEX: "0"})
    with pytest.raises(ValueError, match="host:port"):
        worker_info({ENV_INDEX: "0", ENV_PROCESSES: "2", ENV_COORDINATOR: "nohost"})


def test_each_worker_gets_one_gpu_of_those_visible():
    envs = worker_environments(2, 6000, gpus=2, base={"CUDA_VISIBLE_DEVICES": "3,5"})
    assert [e["CUDA_VISIBLE_DEVICES"] for e in envs] == ["3", "5"]
    assert [e[ENV_INDEX] for e in envs] == ["0", "1"] and {e[ENV_PROCESSES] for e in envs} == {"2"}
    assert {e[ENV_COORDINATOR] for e in envs} == {"127.0.0.1:6000"}
    cpu = worker_environments(2, 6000, gpus=0, base={})
    assert all("CUDA_VISIBLE_DEVICES" not in e for e in cpu)
    with pytest.raises(ValueError, match="only 1 GPU"):
        worker_environments(2, 6000, gpus=1, base={})


def test_launch_stops_the_others_when_a_worker_fails(tmp_path, capsys):
    # worker 1 fails at once; worker 0 would wait forever for it (as at a gradient exchange)
    code = (
        "import os, sys, time\n"
        f"if os.environ['{ENV_INDEX}'] == '1':\n"
        "    print('worker one broke'); sys.exit(3)\n"
        "time.sleep(120)\n"
    )
    assert launch([sys.executable, "-c", code], 2, tmp_path, poll_seconds=0.05) == 3
    err = capsys.readouterr().err
    assert "worker 1 failed (exit 3)" in err and "worker one broke" in err
    assert (tmp_path / "worker1.log").read_text().strip() == "worker one broke"


def test_launch_returns_zero_when_all_workers_finish(tmp_path):
    code = f"import os; open(os.path.join({str(tmp_path)!r}, 'done' + os.environ['{ENV_INDEX}']), 'w')"
    assert launch([sys.executable, "-c", code], 2, tmp_path / "logs", poll_seconds=0.05) == 0
    assert (tmp_path / "done0").is_file() and (tmp_path / "done1").is_file()


def test_processes_need_the_jax_backend(word_dataset, tmp_path, capsys):
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("checks the TensorFlow backend's message")
    from train import main

    argv = ["--dataset", str(word_dataset), "--processes", "2", "--model-dir", str(tmp_path / "m")]
    assert main(argv) == 2
    assert "--processes needs KERAS_BACKEND=jax" in capsys.readouterr().err


def _column(path: Path, name: str) -> list[float]:
    with path.open() as handle:
        return [float(row[name]) for row in csv.DictReader(handle)]


@pytest.mark.slow
@pytest.mark.jax
@pytest.mark.skipif(sys.platform != "linux", reason="gloo collectives between CPU processes")
def test_train_py_with_two_processes_on_cpus(tmp_path):
    """Two JAX processes on CPUs, joined over gloo: one training, the same figures in both."""
    pytest.importorskip("jax")
    from tests.conftest import write_word_dataset

    labels = write_word_dataset(tmp_path / "data", count=90)  # writer w1: 23 words, an odd count
    model_dir = tmp_path / "model"
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT)}
    argv = [
        sys.executable, str(ROOT / "train.py"), "--dataset", str(labels), "--val-writers", "w1",
        "--processes", "2", "--epochs", "2", "--batch-size", "8", "--max-width", "128",
        "--model-dir", str(model_dir), "--cache-dir", str(tmp_path / "cache"), "--quiet",
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "starting 2 training processes" in done.stdout and "best validation CER" in done.stdout
    assert "compiling the training step again" in done.stdout  # RecompileAfterFirstEpoch, epoch 1
    config = json.loads((model_dir / "config.json").read_text())
    run = json.loads((model_dir / "run.json").read_text())
    assert run["processes"] == 2 and config["batch_size"] == 8 and "processes" not in config
    summary = json.loads((model_dir / "summary.json").read_text())
    assert summary["epochs"] == 2 and summary["val_samples"] == 23
    # worker 1 wrote its own copies aside; its figures are worker 0's (one global computation)
    mine, other = model_dir / "log.csv", model_dir / "workers" / "rank1" / "log.csv"
    assert _column(mine, "val_CER") == _column(other, "val_CER")
    assert _column(mine, "loss") == _column(other, "loss")
    assert (model_dir / "workers" / "worker1.log").is_file()
    assert (model_dir / "best.keras").is_file()
    assert not (model_dir / "workers" / "rank1" / "summary.json").exists()


@pytest.mark.slow
@pytest.mark.jax
@pytest.mark.skipif(sys.platform != "linux", reason="gloo collectives between CPU processes")
def test_device_batches_reach_fit_as_global_arrays(tmp_path, monkeypatch):
    """With the cache on the devices, each process's share becomes the global batch without
    Keras re-assembling it, holds the rows the plan chose, and trains the same in both."""
    pytest.importorskip("jax")
    for name, value in {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT)}.items():
        monkeypatch.setenv(name, value)
    command = [sys.executable, str(ROOT / "tests" / "scripts" / "global_batches_check.py"), str(tmp_path)]
    assert launch(command, 2, tmp_path / "logs") == 0
    reports = [json.loads((tmp_path / f"p{i}.json").read_text()) for i in range(2)]
    for index, report in enumerate(reports):
        assert report["process"] == index and report["distribution"] == "DataParallel"
        assert report["global_in"] and report["unchanged"], report
        assert report["global_shape"] == [8, 4, 8, 1]
        assert report["batch_matches_plan"]
    assert reports[0]["loss"] == reports[1]["loss"] and len(reports[0]["loss"]) == 2
    assert reports[0]["kernel"] == reports[1]["kernel"]
