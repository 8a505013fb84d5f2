"""An IAM-line-style CNN-BiLSTM-CTC: large input, VGG-like CNN, two BiLSTM(256).

Input height 128 and width by the aspect ratio (DHSD 4:1: 512), pixels kept
in proportion and padded with white (``mltu_ext.data.image_cache``). The layers:

====  ==========================================  ===============
 #    layer                                        output (H x W x C)
====  ==========================================  ===============
 in   image, /255                                  128 x 512 x 1
 1    conv3x3 64, BN, ReLU, maxpool 2x2            64 x 256 x 64
 2    conv3x3 128, BN, ReLU, maxpool 2x2           32 x 128 x 128
 3    conv3x3 256, BN, ReLU                        32 x 128 x 256
 4    conv3x3 256, BN, ReLU, maxpool 2x1           16 x 128 x 256
 5    conv3x3 512, BN, ReLU                        16 x 128 x 512
 6    conv3x3 512, BN, ReLU, maxpool 2x1           8 x 128 x 512
 7    conv3x3 512, BN, ReLU, maxpool 2x1           4 x 128 x 512
 -    columns: permute + reshape                   128 x 2048
 -    dense 256 (projection)                       128 x 256
 -    BiLSTM 256, dropout 0.3 (twice)              128 x 512
 -    dense softmax, vocabulary + blank            128 x (V + 1)
====  ==========================================  ===============

Adam 1e-3 with clipnorm 5, batch 8, ReduceLROnPlateau (0.5, patience 3) on
val_CER, CTC loss from ``mltu_ext.ctc.loss``; the best weights by val_CER
are kept.

One forward pass over the 473 validation images takes minutes on two
shared cores, so validation decodes once per epoch (``DecodeValidation``)
and keeps the best epoch's texts for the final scores instead of running
the best weights over the images a second time.
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
from mltu_ext.ctc.loss import CTCLoss
from mltu_ext.data.batching import make_batches
from mltu_ext.data.image_cache import build_cache
from mltu_ext.data.vocabulary import Vocabulary

HEIGHT, WIDTH = 128, 512
BATCH_SIZE = 8
LEARNING_RATE = 1e-3
# (filters, pooling after the block or None)
CONV_BLOCKS = (
    (64, (2, 2)),
    (128, (2, 2)),
    (256, None),
    (256, (2, 1)),
    (512, None),
    (512, (2, 1)),
    (512, (2, 1)),
)


def crnn_model(num_classes: int, height: int = HEIGHT, dropout: float = 0.3) -> keras.Model:
    """The layer list in the module docstring; any input width (a multiple of 4)."""
    inputs = layers.Input((height, None, 1), name="image")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    rows = height
    for i, (filters, pool) in enumerate(CONV_BLOCKS):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i + 1}")(x)
        x = layers.BatchNormalization(name=f"bn{i + 1}")(x)
        x = layers.ReLU()(x)
        if pool is not None:
            x = layers.MaxPooling2D(pool, strides=pool, name=f"pool{i + 1}")(x)
            rows //= pool[0]
    # B,H',W',C -> B,W',H',C -> B,W',H'*C: one time step per column
    x = layers.Permute((2, 1, 3))(x)
    x = layers.Reshape((-1, rows * CONV_BLOCKS[-1][0]))(x)
    x = layers.Dense(256, name="projection")(x)
    for i in range(2):
        x = layers.Bidirectional(layers.LSTM(256, return_sequences=True), name=f"blstm{i}")(x)
        x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="iam_line_crnn")


class DecodeValidation(keras.callbacks.Callback):
    """After each epoch: decode the validation images, put val_CER in the logs, keep the best.

    It must come first among the callbacks so that the checkpoint, the
    learning-rate schedule and the epoch log see ``val_CER``.
    """

    def __init__(self, images: np.ndarray, texts: list[str], vocabulary: Vocabulary, weights_path: str):
        super().__init__()
        self.images = images  # N,H,W uint8
        self.texts = texts
        self.vocabulary = vocabulary
        self.weights_path = weights_path
        self.best_cer: float | None = None
        self.best_predictions: list[str] = []

    def on_epoch_end(self, epoch, logs=None):
        probs = predict_in_batches(self.model, self.images.astype(np.float32)[..., None], BATCH_SIZE)
        predictions = greedy_decode(probs, self.vocabulary.chars, self.vocabulary.blank_index)
        value = scores(predictions, self.texts)["cer"]
        if logs is not None:
            logs["val_CER"] = value
        if self.best_cer is None or value < self.best_cer:
            self.best_cer = value
            self.best_predictions = predictions
            self.model.save_weights(self.weights_path)


def run(job: RecipeJob) -> dict:
    """Train within the deadline, then score the best weights on the validation writers."""
    vocabulary = Vocabulary.from_texts([s.text for s in job.train + job.val])
    steps = WIDTH // 4
    train_cache = build_cache(job.train, vocabulary, HEIGHT, WIDTH, steps, desc="training images")
    val_cache = build_cache(job.val, vocabulary, HEIGHT, WIDTH, steps, desc="validation images")
    keras.utils.set_random_seed(job.seed)
    model = crnn_model(vocabulary.num_classes)
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE, clipnorm=5.0),
        loss=CTCLoss(vocabulary.blank_index),
    )
    train_images = (len(train_cache) // BATCH_SIZE) * BATCH_SIZE
    log = BudgetLog(job, BATCH_SIZE, train_images)
    validation = DecodeValidation(
        val_cache.images, val_cache.texts, vocabulary, str(job.out_dir / "best.weights.h5")
    )
    callbacks = [
        validation,
        keras.callbacks.ReduceLROnPlateau(monitor="val_CER", mode="min", factor=0.5, patience=3, verbose=1),
        log,
    ]
    model.fit(
        make_batches(train_cache, BATCH_SIZE, True, job.seed),
        epochs=1000,
        callbacks=callbacks,
        verbose=2,
    )
    predictions = validation.best_predictions
    evaluation = scores(predictions, val_cache.texts)
    return summary(
        job,
        log,
        evaluation,
        parameters=model.count_params(),
        input_shape=[HEIGHT, WIDTH, 1],
        batch_size=BATCH_SIZE,
        examples=list(zip(val_cache.texts[:10], predictions[:10], strict=True)),
    )
