"""Train/val/test splits: given splits, whole writers per side, seeded random; DHSD."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import pytest

from mltu_ext.cli.dataset_args import add_dataset_arguments, load_from_args, split_from_args
from mltu_ext.data import load_dataset, split_by_writer_ids, split_samples
from mltu_ext.data.samples import Sample
from mltu_ext.errors import DatasetError

DHSD = Path("/work/shared/data/dhsd")


def writer_samples(sizes: dict[str, int]) -> list[Sample]:
    return [Sample(f"{w}-{i}", writer=w, source=f"l:{w}{i}") for w, n in sizes.items() for i in range(n)]


def writers_of(samples: list[Sample]) -> set[str]:
    return {s.writer for s in samples}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_writer_split_keeps_writers_apart(seed):
    sizes = {f"w{i}": 5 + 7 * i % 23 for i in range(20)}
    samples = writer_samples(sizes)
    result = split_samples(samples, val_fraction=0.2, test_fraction=0.1, seed=seed)
    assert result.info["method"] == "writer"
    sides = [writers_of(result.train), writers_of(result.val), writers_of(result.test)]
    assert all(sides), sides
    assert not (sides[0] & sides[1]) and not (sides[0] & sides[2]) and not (sides[1] & sides[2])
    assert len(result.train) + len(result.val) + len(result.test) == len(samples)
    # close to the asked fraction: off by at most half of the largest writer
    assert abs(len(result.val) - 0.2 * len(samples)) <= max(sizes.values()) / 2
    assert result.info["writers"]["val"] == sorted(sides[1])
    json.dumps(result.info)


def test_writer_split_is_seeded():
    samples = writer_samples({f"w{i}": 10 for i in range(30)})
    first = split_samples(samples, val_fraction=0.1, seed=5)
    again = split_samples(samples, val_fraction=0.1, seed=5)
    other = [split_samples(samples, val_fraction=0.1, seed=s).info["writers"]["val"] for s in range(6, 12)]
    assert first.info == again.info
    assert any(o != first.info["writers"]["val"] for o in other)


def test_random_split_without_writers():
    samples = [Sample(str(i), source=f"l:{i}") for i in range(100)]
    result = split_samples(samples, val_fraction=0.15, seed=3)
    assert result.info["method"] == "random"
    assert (len(result.train), len(result.val), len(result.test)) == (85, 15, 0)
    assert {s.text for s in result.train} | {s.text for s in result.val} == {str(i) for i in range(100)}
    assert split_samples(samples, val_fraction=0.15, seed=4).val != result.val


def test_given_split_is_used_and_missing_val_is_cut_by_writer():
    samples = [
        Sample("a", writer="1", split="train"),
        Sample("b", writer="2", split="validation"),
        Sample("c", writer="3", split="test"),
        Sample("d", writer="4"),
    ]
    result = split_samples(samples)
    assert [s.text for s in result.train] == ["a"]
    assert [s.text for s in result.val] == ["b"]
    assert [s.text for s in result.test] == ["c"]
    assert result.info["method"] == "given" and result.info["unassigned"] == 1

    no_val = writer_samples({"1": 10, "2": 10, "3": 10, "4": 10})
    for sample in no_val:
        sample.split = "train"
    cut = split_samples(no_val, val_fraction=0.25, seed=0)
    assert len(cut.val) == 10 and len(writers_of(cut.val)) == 1
    assert not writers_of(cut.val) & writers_of(cut.train)
    assert cut.info["cut_from_train"]["method"] == "writer"


def test_split_by_writer_ids():
    samples = writer_samples({str(i): 3 for i in range(1, 31)})
    result = split_by_writer_ids(samples, [28, 29, "30"])
    assert writers_of(result.val) == {"28", "29", "30"}
    assert len(result.train) == 27 * 3 and not result.test
    with pytest.raises(DatasetError, match="31"):
        split_by_writer_ids(samples, ["31"])


def test_bad_fractions():
    with pytest.raises(ValueError, match="fractions"):
        split_samples([Sample("a")], val_fraction=0.6, test_fraction=0.5)


@pytest.mark.skipif(not (DHSD / "labels.csv").is_file(), reason=f"real dataset not present at {DHSD}")
def test_dhsd_loads_as_generic_csv_and_splits_by_writer():
    dataset = load_dataset(DHSD)
    assert dataset.format == "generic_csv"
    assert len(dataset.samples) == 4873
    counts = Counter(s.writer for s in dataset.samples)
    assert len(counts) == 30
    result = split_samples(dataset.samples, val_fraction=0.1, seed=0)
    assert result.info["method"] == "writer"
    assert not writers_of(result.train) & writers_of(result.val)
    assert abs(len(result.val) - 487) <= max(counts.values())

    parser = argparse.ArgumentParser()
    add_dataset_arguments(parser)
    args = parser.parse_args(["--dataset", str(DHSD / "labels.csv"), "--val-writers", "28,29,30"])
    explicit = split_from_args(args, load_from_args(args))
    assert writers_of(explicit.val) == {"28", "29", "30"}
    assert len(explicit.val) == sum(counts[w] for w in ("28", "29", "30"))


def test_single_writer_falls_back_to_random_with_a_note():
    samples = writer_samples({"me": 20})
    result = split_samples(samples, val_fraction=0.2)
    assert (result.info["method"], len(result.val)) == ("random", 4)
    assert "only 1 writer" in result.info["note"]
