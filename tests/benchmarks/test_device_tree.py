"""benchmarks/line_model/device_tree.py: large tracked files leave the copied tree and come back."""

import json
import subprocess

import pytest

from tests.benchmarks.scripts import load_script


def _repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / "Models" / "lines").mkdir(parents=True)
    (repo / "runs").mkdir()
    (repo / "Models" / "lines" / "model.onnx").write_bytes(b"m" * 5000)
    (repo / "runs" / "init.npz").write_bytes(b"w" * 4000)
    (repo / "train.py").write_text("print('small')\n")
    (repo / "untracked.bin").write_bytes(b"u" * 9000)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "add", "Models", "runs", "train.py"], check=True, capture_output=True
    )
    return repo


def test_aside_moves_large_tracked_files_but_the_kept_one_and_back_restores(tmp_path):
    module = load_script("line_model/device_tree.py")
    repo = _repo(tmp_path)
    before = {p: (repo / p).read_bytes() for p in ("Models/lines/model.onnx", "runs/init.npz", "train.py")}

    report = module.run(
        module.get_args(["--repo", str(repo), "aside", "--keep", "runs/init.npz", "--min-kb", "1"])
    )

    # 5000 + 4000 + 15 bytes tracked; only the model (5000 bytes, not kept) moves
    assert report == {"moved": 1, "bytes_before": 9015, "bytes_after": 4015}
    assert not (repo / "Models/lines/model.onnx").exists()
    assert (repo / ".aside/Models/lines/model.onnx").exists()
    assert (repo / "runs/init.npz").exists() and (repo / "untracked.bin").exists()
    assert json.loads((repo / ".aside/manifest.json").read_text()) == ["Models/lines/model.onnx"]
    with pytest.raises(module.TreeError, match="aside already"):
        module.move_aside(repo, [], 1024)

    assert module.run(module.get_args(["--repo", str(repo), "back"])) == {"moved_back": 1, "bytes": 9015}
    assert {p: (repo / p).read_bytes() for p in before} == before
    assert not (repo / ".aside/manifest.json").exists()
    with pytest.raises(module.TreeError, match="nothing is aside"):
        module.move_back(repo)


def test_back_refuses_when_a_tracked_file_is_still_missing(tmp_path):
    module = load_script("line_model/device_tree.py")
    repo = _repo(tmp_path)
    module.move_aside(repo, [], 1024)
    (repo / "train.py").unlink()  # lost by hand while aside: back must say so

    with pytest.raises(module.TreeError, match=r"train\.py"):
        module.move_back(repo)
    assert (repo / "Models/lines/model.onnx").exists()
