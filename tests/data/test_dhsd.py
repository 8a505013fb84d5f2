"""Real handwriting: the DHSD word images load, split by writer and train a few steps."""

from __future__ import annotations

from pathlib import Path

import pytest

DHSD = Path(__file__).resolve().parents[3] / "shared" / "data" / "dhsd"

pytestmark = [
    pytest.mark.skipif(not (DHSD / "labels.csv").is_file(), reason=f"{DHSD} not present"),
    pytest.mark.slow,
]


def test_dhsd_trains_a_few_steps_split_by_writer(tmp_path):
    from mltu_ext.data import load_dataset, split_by_writer_ids
    from mltu_ext.training.trainer import train
    from tests.conftest import tiny_config, tiny_run

    dataset = load_dataset(str(DHSD))
    parts = split_by_writer_ids(dataset.samples, ["28", "29", "30"])
    assert {s.writer for s in parts.val} == {"28", "29", "30"}
    assert not {s.writer for s in parts.train} & {"28", "29", "30"}
    cfg = tiny_config(epochs=1)
    # DHSD labels reach 37 letters; 128 px at 2 px per step leave 64 steps
    result = train(cfg, parts.train[:96], parts.val[:32], tiny_run(tmp_path / "model", export=False))
    assert result.epochs == 1
    assert result.history["loss"][0] > 0
    assert 0.0 <= result.best_val_cer
