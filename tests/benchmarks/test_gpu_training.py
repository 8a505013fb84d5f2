"""gpu_training.py: a variant the GPU cannot run is recorded and the others go on; a bug stops the run."""

from __future__ import annotations

import json

import keras
import pytest

from benchmarks.gpu_training import gpu_training


def _run(monkeypatch: pytest.MonkeyPatch, tmp_path, error: Exception) -> dict:
    """Run two variants whose every measurement raises ``error``; the written report."""

    def failing(*args: object, **kwargs: object):
        raise error
        yield  # a generator, as run_variant is

    # run() sets KERAS_BACKEND when it is unset; keep this process's (and its subprocesses') setting
    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())
    monkeypatch.setattr(gpu_training, "synthetic_cache", lambda *args, **kwargs: None)
    monkeypatch.setattr(gpu_training, "gpu_names", list)
    monkeypatch.setattr(gpu_training, "run_variant", failing)
    out = tmp_path / "report.json"
    gpu_training.run(gpu_training.get_args(["--variants", "fp32,bf16", "--out", str(out)]))
    return json.loads(out.read_text())


def test_a_variant_that_fails_on_the_device_is_recorded_and_the_next_one_runs(monkeypatch, tmp_path):
    report = _run(monkeypatch, tmp_path, RuntimeError("RESOURCE_EXHAUSTED: out of memory"))
    assert report["errors"] == [
        "default/fp32/1 GPU: RuntimeError: RESOURCE_EXHAUSTED: out of memory",
        "default/bf16/1 GPU: RuntimeError: RESOURCE_EXHAUSTED: out of memory",
    ]
    assert report["results"] == []


def test_a_bug_in_the_script_stops_the_run_with_its_traceback(monkeypatch, tmp_path):
    with pytest.raises(KeyError, match="no_such_field"):
        _run(monkeypatch, tmp_path, KeyError("no_such_field"))
    assert not (tmp_path / "report.json").exists()
