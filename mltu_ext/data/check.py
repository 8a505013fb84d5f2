"""Check a list of samples before training: labels, characters, images, duplicates.

Blocking problems (``report.errors``) are those that would make training fail
or learn the wrong thing: images that cannot be decoded, empty labels,
characters outside the model's vocabulary, labels longer than the CTC time
axis allows. Everything else worth a look goes to ``report.warnings``.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import numpy as np
from tqdm import tqdm

from mltu_ext.data.images import decode_gray
from mltu_ext.data.samples import Sample, region_digest, region_size
from mltu_ext.data.split import pages_under_several_writers
from mltu_ext.data.vocabulary import ctc_steps_needed, label_problem
from mltu_ext.errors import ImageReadError

# How many example names a message or list shows.
EXAMPLES = 3
# A character seen fewer times than this in a dataset of at least RARE_MIN_SAMPLES
# samples is too rare for the model to learn; worth a warning.
RARE_BELOW = 3
RARE_MIN_SAMPLES = 100
# Images handed to the thread pool at a time (bounds the pending futures).
CHUNK = 2048
# An image whose 1st and 99th percentile gray levels lie closer than this holds no writing
# (paper, a scanner's noise or JPEG's ringing at most): its label cannot be learnt from it.
BLANK_RANGE = 16


@dataclass
class ImageInfo:
    """Size and content hash of one decoded image, or why it could not be decoded."""

    height: int = 0
    width: int = 0
    digest: str = ""
    error: str = ""
    blank: bool = False  # no writing to be seen (``BLANK_RANGE``)


def inspect_image(sample: Sample) -> ImageInfo:
    """Decode the pixels of ``sample`` once: its size and a hash of its encoded bytes.

    A line of a page (``region``) reports the size of its crop, which training
    cuts out (the page is decoded, the line not cut); its hash is of the page
    file and the outline, so copies of one line are found without hashing every crop.
    """
    try:
        if sample.region is not None and sample.image is None and sample.data is None and sample.path:
            # the size from the page's alone: cutting each line out (its paper tone, its mask)
            # took 40 % of checking Copiste's pages; pages are decoded once for their lines
            height, width = region_size(sample)
            return ImageInfo(height=height, width=width, digest=region_digest(sample))
        if sample.image is not None:
            image = np.asarray(sample.image)
            raw = image.tobytes() + str(image.shape).encode()
        else:
            if sample.data is not None:
                raw = sample.data
            elif sample.path is not None:
                with open(sample.path, "rb") as handle:
                    raw = handle.read()
            else:
                return ImageInfo(error="sample has no path, data or image")
            image = decode_gray(raw, sample.name)
    except (OSError, ImageReadError) as exc:
        return ImageInfo(error=str(exc).removeprefix(f"{sample.name}: "))
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    return ImageInfo(
        height=int(image.shape[0]), width=int(image.shape[1]), digest=digest, blank=is_blank(image)
    )


def is_blank(image: np.ndarray) -> bool:
    """True for a gray (H, W) image with no writing: its 1st and 99th percentile levels within
    ``BLANK_RANGE`` of each other (one dark pixel in a hundred would count as writing).

    >>> paper = np.full((20, 50), 230, np.uint8)
    >>> written = paper.copy()
    >>> written[9:11, 5:45] = 40  # a stroke: 8 % of the pixels
    >>> is_blank(paper), is_blank(written)
    (True, False)
    """
    if image.size == 0:
        return True
    low, high = np.percentile(image, (1, 99))
    return bool(high - low < BLANK_RANGE)


def inspect_images(
    samples: Sequence[Sample], workers: int | None = None, progress: bool = True
) -> list[ImageInfo]:
    """:func:`inspect_image` for every sample, in parallel threads (OpenCV releases the GIL)."""
    workers = workers or min(8, os.cpu_count() or 1)
    bar = tqdm(total=len(samples), desc="checking images", unit="img", disable=not progress)
    infos: list[ImageInfo] = []
    with bar, ThreadPoolExecutor(max_workers=workers) as pool:
        for start in range(0, len(samples), CHUNK):
            for info in pool.map(inspect_image, samples[start : start + CHUNK]):
                infos.append(info)
                bar.update()
    return infos


def _spread(values: Sequence[float]) -> dict[str, float] | None:
    """min / median / max of ``values`` (None when empty)."""
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


@dataclass
class CheckReport:
    """What :func:`check_samples` found; ``errors`` block training, ``warnings`` do not."""

    num_samples: int
    num_writers: int | None
    split_counts: dict[str, int]
    char_counts: dict[str, int]
    label_length: dict[str, float] | None
    image_width: dict[str, float] | None = None
    image_height: dict[str, float] | None = None
    unreadable: list[dict[str, str]] = field(default_factory=list)
    empty_labels: list[str] = field(default_factory=list)
    # labels with text that training refuses: only invisible characters, control characters
    bad_labels: list[dict[str, str]] = field(default_factory=list)
    # labels holding invisible format characters (U+200B, U+200D, U+00AD, U+FEFF...) beside text:
    # the model learns them as characters it cannot see; some scripts need U+200C/U+200D
    invisible_characters: list[dict[str, str]] = field(default_factory=list)
    # images with a label but no writing to be seen (``is_blank``)
    blank_images: list[str] = field(default_factory=list)
    out_of_vocabulary: dict[str, dict] = field(default_factory=dict)
    too_long: list[dict] = field(default_factory=list)
    duplicate_paths: list[dict] = field(default_factory=list)
    conflicting_duplicates: list[dict] = field(default_factory=list)
    identical_duplicates: int = 0
    # for each page image whose lines come under more than one writer id, a line of each writer
    pages_under_several_writers: list[list[str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks training."""
        return not self.errors

    def to_dict(self) -> dict:
        """Everything as plain JSON-able types."""
        return asdict(self)

    def to_text(self) -> str:
        """A readable multi-line report."""
        writers = f" from {self.num_writers} writers" if self.num_writers else " (writers unknown)"
        lines = [f"Samples: {self.num_samples}{writers}"]
        if self.split_counts:
            lines.append("Splits: " + ", ".join(f"{k} {v}" for k, v in self.split_counts.items()))
        lines.append(f"Characters ({len(self.char_counts)}):")
        lines.extend(_wrap([f"{c!r} {n}" for c, n in self.char_counts.items()]))
        if self.label_length:
            lines.append("Label length: " + _format_spread(self.label_length))
        if self.image_width and self.image_height:
            lines.append("Image width:  " + _format_spread(self.image_width))
            lines.append("Image height: " + _format_spread(self.image_height))
        for title, items in (("Errors", self.errors), ("Warnings", self.warnings)):
            lines.append(f"{title} ({len(items)}):" + ("" if items else " none"))
            lines.extend(f"  - {item}" for item in items)
        return "\n".join(lines)


def _wrap(items: Sequence[str], width: int = 96) -> list[str]:
    """Comma-joined ``items`` on indented lines of at most about ``width`` characters."""
    lines, current = [], ""
    for item in items:
        if current and len(current) + len(item) + 2 > width:
            lines.append(f"  {current},")
            current = ""
        current = f"{current}, {item}" if current else item
    if current:
        lines.append(f"  {current}")
    return lines


def _format_spread(spread: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in spread.items())


def _examples(names: Sequence[str]) -> str:
    shown = ", ".join(names[:EXAMPLES])
    return shown + (", ..." if len(names) > EXAMPLES else "")


def _steps_available(
    info: ImageInfo | None, max_steps: int | None, time_scale: float | None, height: int | None
) -> int | None:
    """CTC time steps the model has for one image (None when nothing limits it)."""
    limits = [] if max_steps is None else [max_steps]
    if time_scale is not None and info is not None and not info.error:
        # width after resizing to the model height, then one step per time_scale pixels
        width = info.width * height / info.height if height else info.width
        limits.append(int(width // time_scale))
    return min(limits) if limits else None


def check_samples(
    samples: Sequence[Sample],
    vocabulary_chars: str | None = None,
    max_steps: int | None = None,
    time_scale: float | None = None,
    height: int | None = None,
    decode_images: bool = True,
    workers: int | None = None,
    progress: bool = True,
) -> CheckReport:
    """Check labels and images of ``samples``; see :class:`CheckReport`.

    ``vocabulary_chars`` flags characters the model cannot output. ``max_steps``
    is the number of CTC time steps for the widest allowed image; ``time_scale``
    the image width (after resizing to ``height``, when given) per time step,
    which needs ``decode_images``. A label needs
    :func:`mltu_ext.data.vocabulary.ctc_steps_needed` steps.

    >>> report = check_samples([Sample("aa", image=np.zeros((8, 8), np.uint8))],
    ...                        max_steps=2, progress=False)
    >>> report.ok, len(report.too_long)
    (False, 1)
    """
    texts = [s.text for s in samples]
    writers = {s.writer for s in samples if s.writer is not None}
    char_counts = Counter("".join(texts))
    lengths = [len(t) for t in texts]
    report = CheckReport(
        num_samples=len(samples),
        num_writers=len(writers) or None,
        split_counts=dict(sorted(Counter(s.split for s in samples if s.split).items())),
        char_counts=dict(sorted(char_counts.items())),
        label_length=(
            None
            if not lengths
            else {
                "min": min(lengths),
                "mean": round(statistics.fmean(lengths), 2),
                "median": statistics.median(lengths),
                "max": max(lengths),
            }
        ),
    )
    if not samples:
        report.errors.append("no samples")
        return report

    infos: list[ImageInfo | None] = [None] * len(samples)
    if decode_images:
        infos = list(inspect_images(samples, workers=workers, progress=progress))
        good = [i for i in infos if not i.error]
        report.image_width = _spread([i.width for i in good])
        report.image_height = _spread([i.height for i in good])
        report.unreadable = [
            {"name": s.name, "source": s.source, "reason": i.error}
            for s, i in zip(samples, infos, strict=True)
            if i.error
        ]
    elif time_scale is not None:
        report.warnings.append(
            "time_scale needs decoded images; label lengths were checked against max_steps only"
        )

    _check_labels(report, samples, infos, vocabulary_chars, max_steps, time_scale, height)
    _check_duplicates(report, samples, infos)
    _summarise(report, samples, decode_images)
    return report


def _check_labels(
    report: CheckReport,
    samples: Sequence[Sample],
    infos: Sequence[ImageInfo | None],
    vocabulary_chars: str | None,
    max_steps: int | None,
    time_scale: float | None,
    height: int | None,
) -> None:
    known = set(vocabulary_chars) if vocabulary_chars is not None else None
    oov: dict[str, dict] = {}
    for sample, info in zip(samples, infos, strict=True):
        if not sample.text.strip():
            report.empty_labels.append(sample.source or sample.name)
            continue
        problem = label_problem(sample.text)
        if problem:  # the rules training encodes labels by (a zero-width space alone, a tab, a newline)
            report.bad_labels.append({"source": sample.source or sample.name, "problem": problem})
            continue
        invisible = sorted({c for c in sample.text if unicodedata.category(c) == "Cf"})
        if invisible:
            shown = ", ".join(f"U+{ord(c):04X}" for c in invisible)
            report.invisible_characters.append({"source": sample.source or sample.name, "characters": shown})
        if info is not None and info.blank:
            report.blank_images.append(sample.name)
        if known is not None:
            for char in set(sample.text) - known:
                entry = oov.setdefault(char, {"count": 0, "examples": []})
                entry["count"] += sample.text.count(char)
                if len(entry["examples"]) < EXAMPLES:
                    entry["examples"].append(sample.name)
        available = _steps_available(info, max_steps, time_scale, height)
        needed = ctc_steps_needed(sample.text)
        if available is not None and needed > available:
            report.too_long.append(
                {
                    "name": sample.name,
                    "source": sample.source,
                    "text": sample.text,
                    "steps_needed": needed,
                    "steps_available": available,
                }
            )
    report.out_of_vocabulary = dict(sorted(oov.items()))


def _check_duplicates(
    report: CheckReport, samples: Sequence[Sample], infos: Sequence[ImageInfo | None]
) -> None:
    by_path: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        # the lines of one page share its path; their outlines tell them apart
        if sample.path is not None and sample.region is None:
            by_path[os.path.normpath(sample.path)].append(sample)
    report.duplicate_paths = [
        {"path": p, "sources": [s.source for s in group]} for p, group in by_path.items() if len(group) > 1
    ]
    by_digest: dict[str, list[Sample]] = defaultdict(list)
    for sample, info in zip(samples, infos, strict=True):
        if info is not None and info.digest:
            by_digest[info.digest].append(sample)
    for group in by_digest.values():
        if len(group) < 2:
            continue
        if len({s.text for s in group}) > 1:
            report.conflicting_duplicates.append(
                {"names": [s.name for s in group], "labels": sorted({s.text for s in group})}
            )
        else:
            report.identical_duplicates += len(group) - 1
    # the writer split's own detector, so that check names the pages the split keeps on one side
    report.pages_under_several_writers = pages_under_several_writers(samples)


def _summarise(report: CheckReport, samples: Sequence[Sample], decode_images: bool) -> None:
    """Turn the findings into one-line error and warning messages."""
    errors, warnings = report.errors, report.warnings
    if report.unreadable:
        names = [f"{u['name']} ({u['reason']})" for u in report.unreadable]
        errors.append(f"{len(names)} unreadable images: {_examples(names)}")
    if report.empty_labels:
        errors.append(f"{len(report.empty_labels)} empty labels: {_examples(report.empty_labels)}")
    if report.bad_labels:
        names = [f"{b['source']} ({b['problem']})" for b in report.bad_labels]
        errors.append(f"{len(names)} labels training cannot use: {_examples(names)}")
    for char, entry in report.out_of_vocabulary.items():
        errors.append(
            f"character {char!r} is not in the vocabulary: {entry['count']} times, "
            f"e.g. in {_examples(entry['examples'])}"
        )
    if report.too_long:
        names = [f"{t['name']} ({t['steps_needed']} > {t['steps_available']} steps)" for t in report.too_long]
        errors.append(f"{len(names)} labels too long for the CTC time steps: {_examples(names)}")
    if report.invisible_characters:
        names = [f"{i['source']} ({i['characters']})" for i in report.invisible_characters]
        warnings.append(
            f"{len(names)} labels hold invisible characters, which the model learns as characters: "
            f"{_examples(names)}"
        )
    if report.blank_images:
        warnings.append(
            f"{len(report.blank_images)} images show no writing but have a label: "
            f"{_examples(report.blank_images)}"
        )
    if report.duplicate_paths:
        paths = [d["path"] for d in report.duplicate_paths]
        warnings.append(f"{len(paths)} image paths appear more than once: {_examples(paths)}")
    if report.conflicting_duplicates:
        names = [" = ".join(d["names"][:2]) + f" {d['labels']}" for d in report.conflicting_duplicates]
        warnings.append(f"{len(names)} identical images carry different labels: {_examples(names)}")
    if report.identical_duplicates:
        warnings.append(
            f"{report.identical_duplicates} images are byte-identical copies of another with the same label"
        )
    if report.pages_under_several_writers:
        pairs = [" and ".join(names[:2]) for names in report.pages_under_several_writers]
        warnings.append(
            f"{len(pairs)} page images are described under several writer ids: {_examples(pairs)} "
            "(a writer split keeps the lines of each on one side)"
        )
    spaced = [
        s.source or s.name for s in samples if s.text.strip() and (s.text != s.text.strip() or "  " in s.text)
    ]
    if spaced:
        warnings.append(f"{len(spaced)} labels have leading, trailing or double spaces: {_examples(spaced)}")
    if report.num_samples >= RARE_MIN_SAMPLES:
        rare = [c for c, n in report.char_counts.items() if n < RARE_BELOW]
        if rare:
            warnings.append(f"{len(rare)} characters occur fewer than {RARE_BELOW} times: {''.join(rare)!r}")
    if report.num_writers is None:
        warnings.append("writers unknown: a validation split cannot keep writers apart")
    if not decode_images:
        warnings.append("images not decoded: unreadable files and sizes were not checked")
