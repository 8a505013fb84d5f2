"""Train / validation / test splits that keep writers apart.

Words by one writer on both sides make the validation score look better than
it will be on new writers, so whole writers go to one side whenever the
dataset knows them. The ``info`` dict records how the split was made; save it
with the model.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from mltu_ext.data.samples import Sample, page_digest, region_digest
from mltu_ext.data.text_forms import normal_id
from mltu_ext.errors import ConfigError, DatasetError

SIDES = ("train", "val", "test")
SHARED_PAGE_EXAMPLES = 3  # pages under several writers named in a split's info
Keys = dict[int, str]  # id(sample) -> what makes it the same image as another (sample_key)
# Split names a dataset may use, mapped onto SIDES.
SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "dev": "val",
    "test": "test",
}


@dataclass
class SplitResult:
    """Samples per side and a JSON-able record of how they were chosen."""

    train: list[Sample]
    val: list[Sample]
    test: list[Sample]
    info: dict


def _writers_of(samples: Iterable[Sample]) -> list[str]:
    return sorted({s.writer for s in samples if s.writer is not None})


def _info(method: str, seed: int | None, result: dict[str, list[Sample]], **extra) -> dict:
    info = {"method": method, "seed": seed, "counts": {side: len(result[side]) for side in SIDES}}
    if all(s.writer is not None for side in SIDES for s in result[side]):
        info["writers"] = {side: _writers_of(result[side]) for side in SIDES}
    info.update(extra)
    return info


def _pick_writers(sizes: dict[str, int], order: list[str], target: float) -> list[str]:
    """Writers from ``order`` whose sample counts add up close to ``target``.

    Takes writers in the (seeded) order, skipping one when adding it would
    overshoot the target by more than the gap it closes.
    """
    chosen, total = [], 0
    for writer in order:
        if total >= target:
            break
        if total + sizes[writer] - target <= target - total:
            chosen.append(writer)
            total += sizes[writer]
    return chosen


def split_by_writer(
    samples: Sequence[Sample], val_fraction: float, test_fraction: float, seed: int
) -> SplitResult:
    """Whole writers per side, chosen in a seeded order, aiming at the sample fractions."""
    sizes = Counter(s.writer for s in samples)
    if None in sizes:
        raise DatasetError(f"{sizes[None]} samples have no writer; cannot split by writer")
    order = sorted(sizes)
    random.Random(seed).shuffle(order)
    side_of: dict[str, str] = {}
    for side, fraction in (("test", test_fraction), ("val", val_fraction)):
        if fraction <= 0:
            continue
        left = [w for w in order if w not in side_of]
        chosen = _pick_writers(sizes, left, fraction * len(samples))
        if not chosen and len(left) > 1:
            # every writer overshoots: the smallest one is still better than none
            chosen = [min(left, key=lambda w: sizes[w])]
        if len(chosen) == len(left):
            chosen = chosen[:-1]  # keep at least one writer for training
        side_of.update(dict.fromkeys(chosen, side))
    result = {side: [] for side in SIDES}
    for sample in samples:
        result[side_of.get(sample.writer, "train")].append(sample)
    info = _info("writer", seed, result, val_fraction=val_fraction, test_fraction=test_fraction)
    return SplitResult(**result, info=info)


def split_random(
    samples: Sequence[Sample], val_fraction: float, test_fraction: float, seed: int, keys: Keys | None = None
) -> SplitResult:
    """A seeded random split (for datasets without writers); copies of one image stay together.

    ``keys`` are the samples' :func:`sample_keys`, when the caller has them already.
    """
    keys = keys if keys is not None else sample_keys(samples)
    groups: dict[str, list[int]] = {}
    for index, sample in enumerate(samples):
        groups.setdefault(keys[id(sample)], []).append(index)
    order = list(groups.values())
    random.Random(seed).shuffle(order)

    def count(fraction: float) -> int:
        # at least one sample on a side that was asked for, when there is more than one
        return max(1, round(fraction * len(samples))) if fraction > 0 and len(samples) > 1 else 0

    n_test = count(test_fraction)
    n_val = min(count(val_fraction), max(0, len(samples) - n_test - 1))
    side_of: dict[int, str] = {}
    filled = {"test": 0, "val": 0}
    for group in order:
        side = "test" if filled["test"] < n_test else "val" if filled["val"] < n_val else "train"
        if (
            side != "train"
            and len(order) - len(side_of) <= 1
            and not any(s == "train" for s in side_of.values())
        ):
            side = "train"  # keep at least one image for training
        for index in group:
            side_of[index] = side
        if side != "train":
            filled[side] += len(group)
    result = {side: [] for side in SIDES}
    for index, sample in enumerate(samples):
        result[side_of[index]].append(sample)
    info = _info("random", seed, result, val_fraction=val_fraction, test_fraction=test_fraction)
    return SplitResult(**result, info=info)


def _split_fresh(
    samples: Sequence[Sample], val_fraction: float, test_fraction: float, seed: int, keys: Keys | None = None
) -> SplitResult:
    """By writer when every sample has one (and there are enough writers), else random."""
    known = sum(s.writer is not None for s in samples)
    sides_wanted = 1 + (val_fraction > 0) + (test_fraction > 0)
    writers = len({s.writer for s in samples})
    if samples and known == len(samples) and writers >= sides_wanted:
        return split_by_writer(samples, val_fraction, test_fraction, seed)
    result = split_random(samples, val_fraction, test_fraction, seed, keys)
    if known == len(samples) and samples:
        result.info["note"] = (
            f"only {writers} writer(s) for {sides_wanted} sides; split at "
            "random, so writers appear on both sides"
        )
    elif known:
        result.info["note"] = f"writers known for only {known} of {len(samples)} samples; split at random"
    return result


def split_given(
    samples: Sequence[Sample], val_fraction: float, test_fraction: float, seed: int, keys: Keys | None = None
) -> SplitResult:
    """Use ``Sample.split``; a missing val (or asked-for test) side is cut from train."""
    result = {side: [] for side in SIDES}
    unassigned = 0
    for sample in samples:
        if sample.split is None:
            unassigned += 1
            continue
        side = SPLIT_ALIASES.get(sample.split.lower())
        if side is None:
            raise DatasetError(
                f"{sample.source or sample.name}: unknown split {sample.split!r}; expected train, val or test"
            )
        result[side].append(sample)
    extra: dict = {"given_splits": sorted({s.split for s in samples if s.split})}
    if unassigned:
        # e.g. IAM lines that are in none of the task lists: not used, but counted
        extra["unassigned"] = unassigned
    cut_val = val_fraction if not result["val"] else 0.0
    cut_test = test_fraction if not result["test"] else 0.0
    if (cut_val > 0 or cut_test > 0) and result["train"]:
        # fractions are of the whole dataset; the cut comes from train only
        scale = len(samples) / len(result["train"])
        fractions = min(cut_val * scale, 0.9), min(cut_test * scale, 0.9)
        cut = _split_fresh(result["train"], *fractions, seed, keys)
        result["train"] = cut.train
        result["val"] += cut.val
        result["test"] += cut.test
        extra["cut_from_train"] = {"method": cut.info["method"], "val": len(cut.val), "test": len(cut.test)}
    info = _info("given", seed, result, **extra)
    return SplitResult(**result, info=info)


def split_samples(
    samples: Sequence[Sample], val_fraction: float = 0.1, seed: int = 0, test_fraction: float = 0.0
) -> SplitResult:
    """Split ``samples`` into train / val / test.

    Uses the dataset's own split when samples carry one; else whole writers per
    side when every sample has a writer; else a seeded random split. Copies of
    one image, and the lines of one page image under several writer ids, then
    go to one side (:func:`keep_duplicates_together`).

    >>> samples = [Sample(str(i), writer=str(i % 5)) for i in range(50)]
    >>> result = split_samples(samples, val_fraction=0.2, seed=1)
    >>> result.info["method"], len(result.val), len(result.info["writers"]["val"])
    ('writer', 10, 1)
    """
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ConfigError(
            f"fractions must be in [0, 1) with a sum below 1, got val {val_fraction}, test {test_fraction}"
        )
    keys = sample_keys(samples)  # each image read once, for the split and the duplicate count
    if any(s.split is not None for s in samples):
        return keep_duplicates_together(split_given(samples, val_fraction, test_fraction, seed, keys), keys)
    return keep_duplicates_together(_split_fresh(samples, val_fraction, test_fraction, seed, keys), keys)


def split_by_writer_ids(
    samples: Sequence[Sample], val_writers: Iterable[str | int], test_writers: Iterable[str | int] = ()
) -> SplitResult:
    """Put the listed writers in val (and test), everyone else in train.

    Writer ids are compared as strings, so ``[28, 29, 30]`` matches ``"28"``.
    Raises DatasetError for a listed writer the dataset does not have.
    """
    # in the dataset's written form (data.text_forms): "Zoë" typed either way
    val = {normal_id(str(w)) for w in val_writers}
    test = {normal_id(str(w)) for w in test_writers}
    if val & test:
        raise DatasetError(f"writers in both val and test: {sorted(val & test)}")
    present = set(_writers_of(samples))
    if any(s.writer is None for s in samples):
        raise DatasetError("some samples have no writer; cannot split by writer ids")
    unknown = sorted((val | test) - present)
    if unknown:
        raise DatasetError(
            f"writer(s) {', '.join(unknown)} not in the dataset "
            f"({len(present)} writers: {', '.join(sorted(present)[:10])}...)"
        )
    result = {side: [] for side in SIDES}
    for sample in samples:
        side = "val" if sample.writer in val else "test" if sample.writer in test else "train"
        result[side].append(sample)
    info = _info("writer_ids", None, result)
    return keep_duplicates_together(SplitResult(**result, info=info))


def sample_key(sample: Sample) -> str:
    """What makes two samples the same image: the bytes of their file, data or pixels.

    A line cut out of a page (``region``) keys by the page file's bytes and
    its outline, each page read once however many lines it has; the key
    starts with its page's (:func:`_page_of_key`). A file that cannot be read
    keys by its path (the same path is the same file); reading it fails later
    with its name.
    """
    digest = hashlib.blake2b(digest_size=16)
    if sample.region is not None and sample.image is None and sample.data is None and sample.path:
        try:
            return f"region:{page_digest(sample)}:{region_digest(sample)}"
        except OSError:
            return f"region-path:{os.path.normpath(sample.path)}#{sample.region!r}"
    if sample.image is not None:
        pixels = np.ascontiguousarray(sample.image)
        digest.update(str(pixels.shape).encode() + pixels.tobytes())
    elif sample.data is not None:
        digest.update(sample.data)
    elif sample.path is not None:
        try:
            with open(sample.path, "rb") as handle:
                digest.update(handle.read())
        except OSError:
            return "path:" + os.path.normpath(sample.path)
    else:
        return f"sample:{id(sample)}"  # no pixels to compare: never a copy of another
    return digest.hexdigest()


def sample_keys(samples: Iterable[Sample]) -> Keys:
    """:func:`sample_key` of each sample, by ``id(sample)``."""
    return {id(sample): sample_key(sample) for sample in samples}


def _page_of_key(key: str) -> str | None:
    """The page image part of a line's :func:`sample_key` (the lines of one page share it); None
    for a sample that is not a line of a page."""
    if key.startswith("region:"):
        return "page:" + key.split(":")[1]  # a hex digest: no colon in it
    if key.startswith("region-path:"):
        return "page-path:" + key.removeprefix("region-path:").rpartition("#")[0]
    return None


def _side_groups(samples: Sequence[Sample], keys: Keys) -> tuple[dict[int, str], list[list[str]]]:
    """The key whose samples must share a side, by ``id(sample)``; and, for each page image that
    lines of more than one writer come from, a line of each writer (its source, for messages).

    A sample's own key, except for the lines of such a page: the page's.
    """
    writers: dict[str, dict[str | None, str]] = {}
    for sample in samples:
        page = _page_of_key(keys[id(sample)])
        if page is not None:
            writers.setdefault(page, {}).setdefault(sample.writer, sample.name)
    shared = {page: list(lines.values()) for page, lines in writers.items() if len(lines) > 1}
    groups = {}
    for sample in samples:
        page = _page_of_key(keys[id(sample)])
        groups[id(sample)] = page if page in shared else keys[id(sample)]
    return groups, list(shared.values())


def pages_under_several_writers(samples: Sequence[Sample]) -> list[list[str]]:
    """For each page image that lines of more than one writer id come from, a line of each writer.

    The pages :func:`keep_duplicates_together` keeps on one side, for a check to name.
    """
    # only the lines of pages can share a page; keying a word image would read its file again
    lines = [s for s in samples if s.region is not None]
    return _side_groups(lines, sample_keys(lines))[1]


def keep_duplicates_together(parts: SplitResult, keys: Keys | None = None) -> SplitResult:
    """Move copies of one image (same file or same bytes) to one side: train before val before test.

    A validation image that is also a training image measures memory, not
    reading; without writers a random split puts many such copies on both
    sides. The count goes into ``info["duplicates"]``, and train.py prints it.

    The lines of one page image (same file or same bytes) that come under more
    than one writer id go to one side as a whole, whatever their outlines: two
    layout files of one page (an ALTO and a PAGE file, or a copy named for
    another writer) say two writers where the page has one hand, and a line
    drawn a pixel apart in each would otherwise be two images. They are kept,
    not refused, as copies are; ``info["duplicates"]["pages_under_several_writers"]``
    counts them and ``shared_page_examples`` names a line of each writer of a few.
    """
    everyone = [s for side in SIDES for s in getattr(parts, side)]
    if keys is None:
        keys = sample_keys(everyone)
    together, shared_pages = _side_groups(everyone, keys)
    first_side: dict[str, str] = {}
    groups: Counter[str] = Counter()
    labels: dict[str, set[str]] = {}
    for side in SIDES:
        for sample in getattr(parts, side):
            key = keys[id(sample)]
            groups[key] += 1
            first_side.setdefault(together[id(sample)], side)
            labels.setdefault(key, set()).add(sample.text)
    moved = {side: 0 for side in SIDES}
    result: dict[str, list[Sample]] = {side: [] for side in SIDES}
    for side in SIDES:
        for sample in getattr(parts, side):
            home = first_side[together[id(sample)]]
            if home != side:
                moved[side] += 1
            result[home].append(sample)
    copies = sum(n - 1 for n in groups.values() if n > 1)
    info = dict(parts.info)
    info["counts"] = {side: len(result[side]) for side in SIDES}
    info["duplicates"] = {
        "images_with_copies": sum(n > 1 for n in groups.values()),
        "copies": copies,
        "moved_to_an_earlier_side": sum(moved.values()),
        # one image, two texts: at most one of them can be right
        "with_different_labels": sum(len(texts) > 1 for texts in labels.values()),
        "pages_under_several_writers": len(shared_pages),
        "shared_page_examples": shared_pages[:SHARED_PAGE_EXAMPLES],
    }
    if "writers" in info:
        info["writers"] = {side: _writers_of(result[side]) for side in SIDES}
    return SplitResult(**result, info=info)
