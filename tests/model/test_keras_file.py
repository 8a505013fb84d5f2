"""load_keras: a missing, foreign or cut-short .keras file is refused by name, a good one loads."""

import keras
import pytest

from mltu_ext.errors import ModelLoadError
from mltu_ext.model.keras_file import load_keras


def test_a_saved_model_loads(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save(tmp_path / "best.keras")
    assert load_keras(tmp_path / "best.keras").output_shape == (None, 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        (b"junk, not a model", "not a zip archive"),
        ("half", "not a readable .keras file"),
    ],
)
def test_a_broken_file_is_named(tmp_path, content, message):
    path = tmp_path / "last.keras"
    if content == "half":  # a real archive cut in the middle, as an interrupted copy leaves it
        keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(path)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelLoadError, match=message) as error:
        load_keras(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)
