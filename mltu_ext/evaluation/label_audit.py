"""Find samples whose label probably belongs to another image of the same writer.

Word datasets written from a list are sometimes labelled off by one: the
image shows the word of the neighbouring line of the list. A recogniser then
reads a word that is far from the sample's own label but (almost) equal to
another label of the same writer. Such samples are listed here for a person
to look at; nothing is corrected automatically.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from mltu_ext.evaluation.error_rates import edit_distance


@dataclass(frozen=True)
class SuspectLabel:
    """One sample whose reading matches another label of its group better than its own."""

    index: int
    label: str
    prediction: str
    other_label: str  # the label of the same group that the reading is closest to
    own_distance: float  # edit distance to its own label / length of that label
    other_distance: float  # the same for other_label


def normalised_distance(prediction: str, label: str) -> float:
    """Edit distance from ``prediction`` to ``label`` per character of ``label``.

    >>> normalised_distance("Stolln", "Stölln")
    0.16666666666666666
    """
    return edit_distance(prediction, label) / max(len(label), 1)


def find_suspect_labels(
    predictions: Sequence[str],
    labels: Sequence[str],
    groups: Sequence[str],
    max_other: float = 0.25,
    min_own: float = 0.5,
) -> list[SuspectLabel]:
    """Samples read far from their label (``>= min_own``) and close to another label of their group.

    ``groups`` names each sample's group (the writer); the other label must be
    within ``max_other`` of the reading. Ordered by index.
    """
    if not len(predictions) == len(labels) == len(groups):
        raise ValueError(
            "predictions, labels and groups differ in length: "
            f"{len(predictions)}, {len(labels)}, {len(groups)}"
        )
    by_group: dict[str, set[str]] = defaultdict(set)
    for label, group in zip(labels, groups, strict=True):
        by_group[group].add(label)
    suspects = []
    for index, (prediction, label, group) in enumerate(zip(predictions, labels, groups, strict=True)):
        own = normalised_distance(prediction, label)
        if own < min_own:
            continue
        others = [
            (normalised_distance(prediction, other), other) for other in by_group[group] if other != label
        ]
        if not others:
            continue
        distance, other = min(others)
        if distance <= max_other:
            suspects.append(SuspectLabel(index, label, prediction, other, own, distance))
    return suspects
