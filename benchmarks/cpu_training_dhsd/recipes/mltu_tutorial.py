"""mltu's IAM-words tutorial recipe, run on DHSD with mltu's own pieces.

As in mltu's ``Tutorials/03_handwriting_recognition``: ``DataProvider`` that
reads every image with OpenCV (3 channels) each epoch, the four OpenCV
augmentors, ``ImageResizer(128, 32, keep_aspect_ratio=False)``,
``LabelIndexer``, ``LabelPadding`` with the blank index, nine
``residual_block``s (leaky ReLU, dropout 0.2), ``Reshape((H*W, C))``, one
BiLSTM(128), softmax over vocabulary + blank, Adam 5e-4, batch 16, mltu's
``CTCloss``, early stopping (patience 20) and ReduceLROnPlateau (0.9 / 10)
on val_CER.

Changes that Keras 3 (or the benchmark) forces, each also in the results:

- val_CER comes from ``mltu_ext.ctc.metrics.CharacterErrorRate`` (mltu's
  ``CWERMetric`` never resets under Keras 3); mltu pads labels with the blank
  index, so ``PaddedCER`` maps that padding to -1 first.
- ``EarlyStopping`` and ``ReduceLROnPlateau`` need ``mode="min"`` (Keras 3
  cannot infer the direction of val_CER; the tutorial left it on "auto").
- ``fit(workers=...)`` is gone; the DataProvider runs in the training thread.
- the split is by writer (two DataProviders) instead of ``DataProvider.split``.
- the best model is kept as weights (``ModelCheckpoint(save_weights_only)``)
  because Keras 3 will not reload the tutorial's ``Lambda`` layer from a file
  without ``safe_mode=False``; TensorBoard, TrainLogger and Model2onnx only
  write files and are left out.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from benchmarks.cpu_training_dhsd.recipes.common import (
    BudgetLog,
    RecipeJob,
    predict_in_batches,
    scores,
    summary,
)
from mltu_ext.ctc.greedy import greedy_decode
from mltu_ext.ctc.metrics import CharacterErrorRate

HEIGHT, WIDTH = 32, 128
BATCH_SIZE = 16
LEARNING_RATE = 5e-4


@keras.saving.register_keras_serializable(package="benchmarks")
class PaddedCER(CharacterErrorRate):
    """CharacterErrorRate for labels padded with ``pad_value`` (mltu pads with the blank)."""

    def __init__(self, blank_index: int, pad_value: int | None = None, name: str = "CER", **kwargs):
        super().__init__(blank_index, name=name, **kwargs)
        self.pad_value = blank_index if pad_value is None else int(pad_value)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = keras.ops.cast(y_true, "int32")
        y_true = keras.ops.where(y_true == self.pad_value, -1, y_true)  # B,L
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), "pad_value": self.pad_value}


def tutorial_model(input_dim: tuple[int, int, int], output_dim: int, dropout: float = 0.2) -> keras.Model:
    """The tutorial's network: 9 residual blocks, Reshape to (H*W, C), BiLSTM(128)."""
    from mltu.tensorflow.model_utils import residual_block

    act = "leaky_relu"
    inputs = layers.Input(shape=input_dim, name="input")
    x = layers.Lambda(lambda t: t / 255)(inputs)
    # (filters, skip_conv, strides) of the nine blocks, as in the tutorial
    plan = [
        (16, True, 1),
        (16, True, 2),
        (16, False, 1),
        (32, True, 2),
        (32, False, 1),
        (64, True, 2),
        (64, True, 1),
        (64, False, 1),
        (64, False, 1),
    ]
    for filters, skip_conv, strides in plan:
        x = residual_block(x, filters, activation=act, skip_conv=skip_conv, strides=strides, dropout=dropout)
    # B,4,16,64 -> B,64,64: rows of the feature map one after another
    x = layers.Reshape((x.shape[-3] * x.shape[-2], x.shape[-1]))(x)
    x = layers.Bidirectional(layers.LSTM(128, return_sequences=True))(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(output_dim + 1, activation="softmax", name="output")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def data_provider(dataset: list[list[str]], vocab: str, max_len: int, shuffle: bool = True):
    """mltu DataProvider with the tutorial's reader and transformers (no augmentors)."""
    from mltu.annotations.images import CVImage
    from mltu.preprocessors import ImageReader
    from mltu.tensorflow.dataProvider import DataProvider
    from mltu.transformers import ImageResizer, LabelIndexer, LabelPadding

    return DataProvider(
        dataset=[list(row) for row in dataset],
        skip_validation=True,
        batch_size=BATCH_SIZE,
        shuffle=shuffle,
        data_preprocessors=[ImageReader(CVImage)],
        transformers=[
            ImageResizer(WIDTH, HEIGHT, keep_aspect_ratio=False),
            LabelIndexer(vocab),
            LabelPadding(max_word_length=max_len, padding_value=len(vocab)),
        ],
    )


def tutorial_augmentors() -> list:
    from mltu.augmentors import RandomBrightness, RandomErodeDilate, RandomRotate, RandomSharpen

    return [RandomBrightness(), RandomErodeDilate(), RandomSharpen(), RandomRotate(angle=10)]


def run(job: RecipeJob) -> dict:
    """Train within the deadline, then score the best weights on the validation writers."""
    from mltu.tensorflow.losses import CTCloss

    train_rows = [[s.path, s.text] for s in job.train]
    val_rows = [[s.path, s.text] for s in job.val]
    # the tutorial's vocabulary: the set of all label characters, joined
    vocab = "".join({c for _, text in train_rows + val_rows for c in text})
    max_len = max(len(text) for _, text in train_rows + val_rows)
    train_data = data_provider(train_rows, vocab, max_len)
    train_data.augmentors = tutorial_augmentors()
    val_data = data_provider(val_rows, vocab, max_len)

    keras.utils.set_random_seed(job.seed)
    model = tutorial_model((HEIGHT, WIDTH, 3), len(vocab))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
        loss=CTCloss(),
        metrics=[PaddedCER(blank_index=len(vocab))],
    )
    weights = job.out_dir / "best.weights.h5"
    log = BudgetLog(job, BATCH_SIZE, len(train_rows))  # the DataProvider keeps the partial batch
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_CER", patience=20, verbose=1, mode="min"),
        keras.callbacks.ModelCheckpoint(
            str(weights),
            monitor="val_CER",
            verbose=1,
            save_best_only=True,
            save_weights_only=True,
            mode="min",
        ),
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_CER", factor=0.9, min_delta=1e-10, patience=10, verbose=1, mode="min"
        ),
        log,
    ]
    model.fit(train_data, validation_data=val_data, epochs=1000, callbacks=callbacks, verbose=2)

    model.load_weights(str(weights))
    ordered = data_provider(val_rows, vocab, max_len, shuffle=False)
    images = np.concatenate([ordered[i][0] for i in range(len(ordered))]).astype(np.float32)
    probs = predict_in_batches(model, images)
    predictions = greedy_decode(probs, vocab, len(vocab))
    evaluation = scores(predictions, [text for _, text in val_rows])
    return summary(
        job,
        log,
        evaluation,
        parameters=model.count_params(),
        input_shape=[HEIGHT, WIDTH, 3],
        batch_size=BATCH_SIZE,
        vocab=vocab,
        examples=[(t, p) for (_, t), p in zip(val_rows[:10], predictions[:10], strict=True)],
    )
