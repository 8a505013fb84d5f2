"""Bad input to the data stage stops with one clear error that names the file and the problem."""

from __future__ import annotations

import pytest

from mltu_ext.data.image_cache import build_cache
from mltu_ext.data.samples import Sample
from mltu_ext.data.vocabulary import Vocabulary
from mltu_ext.errors import ImageReadError, LabelError


def _sample(tmp_path, name="a.png", text="cat"):
    import cv2

    from tests.conftest import draw_word

    path = tmp_path / name
    cv2.imwrite(str(path), draw_word(text))
    return Sample(text=text, path=str(path), source=f"labels.csv:{name}")


def test_unreadable_image_is_named(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png at all")
    samples = [_sample(tmp_path), Sample(text="dog", path=str(bad))]
    with pytest.raises(ImageReadError, match=r"1 unreadable image: .*broken\.png: cannot decode"):
        build_cache(samples, Vocabulary("acdgot"), 32, 128, 16)


def test_missing_image_is_named(tmp_path):
    samples = [Sample(text="dog", path=str(tmp_path / "gone.png"))]
    with pytest.raises(ImageReadError, match=r"gone\.png: image file not found"):
        build_cache(samples, Vocabulary("dgo"), 32, 128, 16)


def test_empty_and_unknown_labels_are_all_reported(tmp_path):
    samples = [
        _sample(tmp_path, "a.png", "cat"),
        _sample(tmp_path, "b.png", "cät"),
        Sample(text="", path=str(tmp_path / "a.png")),
    ]
    with pytest.raises(LabelError) as error:
        build_cache(samples, Vocabulary("act"), 32, 128, 16)
    message = str(error.value)
    assert message.startswith("2 label problems")
    assert "b.png" in message and "'ä'" in message and "empty label" in message


def test_label_too_long_for_time_steps(tmp_path):
    samples = [_sample(tmp_path, "long.png", "aab")]
    # "aab" needs 4 steps (a blank between the a's); 3 are not enough
    with pytest.raises(LabelError, match=r"long\.png: label 'aab' needs 4 time steps but the model has 3"):
        build_cache(samples, Vocabulary("ab"), 32, 128, 3)


def test_a_max_width_too_small_for_the_images_is_warned_of(tmp_path, capsys):
    samples = [_sample(tmp_path, f"{i}.png", "cat") for i in range(4)]
    width = build_cache(samples, Vocabulary("act"), 32, 256, 8).images.shape[2]
    assert width == 256 and "squeezed" not in capsys.readouterr().err  # room enough: no word
    build_cache(samples, Vocabulary("act"), 32, 16, 8)
    err = capsys.readouterr().err
    assert "warning:" in err and "4 of 4 images are squeezed" in err and "max_width 16" in err


def test_an_image_cache_too_big_for_memory_is_refused_with_its_size(tmp_path, monkeypatch):
    from mltu_ext.data import image_cache
    from mltu_ext.errors import DatasetError

    def no_memory(shape, dtype):
        raise MemoryError(f"Unable to allocate array with shape {shape}")

    monkeypatch.setattr(image_cache.np, "empty", no_memory)
    with pytest.raises(DatasetError, match=r"1 images of 32 x 128 need 0\.0 GB of memory"):
        build_cache([_sample(tmp_path)], Vocabulary("act"), 32, 128, 16)
