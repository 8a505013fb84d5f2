"""Finding labels that belong to another image of the same writer."""

import pytest

from mltu_ext.evaluation.label_audit import find_suspect_labels, normalised_distance


def test_normalised_distance_counts_per_label_character():
    assert normalised_distance("Berlin", "Berlin") == 0.0
    assert normalised_distance("Berlim", "Berlin") == pytest.approx(1 / 6)
    assert normalised_distance("x", "") == 1.0


def test_shifted_label_is_found_and_named():
    labels = ["Dresden", "Leipzig", "Görlitz", "Leipzig"]
    readings = ["Dresden", "Görlitz", "Görlitz", "Leipzig"]  # image 1 shows writer A's "Görlitz"
    suspects = find_suspect_labels(readings, labels, ["A", "A", "A", "B"])
    assert [(s.index, s.label, s.other_label) for s in suspects] == [(1, "Leipzig", "Görlitz")]
    assert suspects[0].own_distance > 0.5 and suspects[0].other_distance == 0.0


def test_other_writers_labels_and_plain_misreadings_are_not_suspects():
    labels = ["Dresden", "Görlitz", "Leipzig"]
    # reading 0 equals a label of another writer; reading 2 is just wrong
    readings = ["Görlitz", "Görlitz", "Quxxxzz"]
    assert find_suspect_labels(readings, labels, ["A", "B", "A"]) == []


def test_lengths_must_agree():
    with pytest.raises(ValueError, match="differ in length"):
        find_suspect_labels(["a"], ["a", "b"], ["A", "A"])
