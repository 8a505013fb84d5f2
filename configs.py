"""The package's training recipes, as TrainConfig objects.

Edit these (or pass options to ``train.py``) to change a recipe; the config a
model was trained with is saved as ``config.json`` in its folder.
"""

from __future__ import annotations

from mltu_ext.config import AugmentConfig, ModelConfig, TrainConfig


def default_config() -> TrainConfig:
    """Word images at height 32: fast enough to train on two CPU cores.

    The first two blocks stride by 2 in both directions, so most convolutions
    run on a sixteenth of the pixels; one CTC step covers 4 image columns,
    which leaves 40 steps for a 160-pixel-wide word. Thin blocks (16-64
    filters) and one BiLSTM(96) train about three times as many images a
    second on a CPU as 16-96 filters with a BiLSTM(128) did.
    """
    return TrainConfig(
        model=ModelConfig(
            height=32,
            filters=(16, 24, 32, 48, 64, 64),
            strides=((2, 2), (2, 2), (1, 1), (2, 1), (1, 1), (1, 1)),
            lstm_units=(96,),
            # no dropout: in the ~8 epochs of the main job the training CER stays at
            # the held-out CER (benchmarks/default_recipe/RESULTS.md)
            dropout=0.0,
        ),
        augment=AugmentConfig(),
        max_width=160,
        batch_size=32,
        learning_rate=1e-3,
        # 40,000 rendered words seen 4-5 times beat 20,000 seen 8-9 times in the
        # same training time (3.9 % vs 4.7 % held-out CER; rendering them takes
        # about 25 s on two cores)
        synthetic_samples=40000,
    )


def dhsd_net() -> ModelConfig:
    """Height 40, 16-64 filters, one BiLSTM(128): the CPU-sized network for real word images.

    DHSD's 4:1 words are 160 columns wide at height 40: 40 CTC steps at 4
    columns a step, enough for every DHSD label (37 letters, a doubled letter
    costing two).
    """
    return ModelConfig(
        height=40,
        filters=(16, 24, 32, 48, 64, 64),
        strides=((2, 2), (2, 2), (1, 1), (2, 1), (1, 1), (1, 1)),
        lstm_units=(128,),
        dropout=0.2,
    )


def strong_warp() -> AugmentConfig:
    """The random warp for real handwriting: more slant, rotation and scale than the default."""
    return AugmentConfig(
        shear=0.45, rotation_deg=5.0, scale=0.2, translate=0.06, contrast=0.4, thickness_prob=0.6
    )


def rendered_base_config() -> TrainConfig:
    """The base model that ``dhsd_config()`` starts from: rendered name-like words only.

    Real handwriting sets of a few thousand words leave the CTC plateau slowly
    on a CPU (three recipes were still on it after 30 shared CPU-minutes on
    DHSD); a model that already reads rendered handwriting in the same
    characters does not start there. Trained once (``Models/rendered_base``,
    on a GPU: ``KERAS_BACKEND=jax python train.py --recipe rendered_base``).
    """
    return TrainConfig(
        model=dhsd_net(),
        augment=strong_warp(),
        synthetic_text="names",
        augment_rendered=True,  # this model reads real handwriting next
        synthetic_samples=150000,
        max_width=320,
        batch_size=64,
        learning_rate=2e-3,
        epochs=1000,
        early_stopping_patience=1000,
        max_minutes=8.0,
        lr_schedule="time_cosine",
    )


def dhsd_config() -> TrainConfig:
    """Real word images (DHSD: 256x64, labels up to 37 letters) on two CPU cores.

    Starts from ``Models/rendered_base`` (rendered words in the same
    characters), so the first epoch already reads; the real words get a
    strong random warp and dropout, since the gap to close is to unseen
    writers. A cosine learning rate runs over the 30-minute budget.
    """
    return TrainConfig(
        model=dhsd_net(),
        augment=strong_warp(),
        base_model="Models/rendered_base",
        max_width=160,
        batch_size=32,
        learning_rate=1e-3,
        epochs=1000,
        early_stopping_patience=1000,  # the time budget ends training
        max_minutes=30.0,
        lr_schedule="time_cosine",
    )


def line_warp() -> AugmentConfig:
    """The strong random warp for whole lines: slant, scale and bending, little rotation.

    The rotation turns the line about its left end, so at 1,000 columns one
    degree already moves the right end by a third of a 48-pixel height. One
    line in five is made black and white: bitonal archive scans then read
    about half a point closer to their grayscale originals, grayscale lines as
    before (benchmarks/line_model/RESULTS.md, run 021).
    """
    return AugmentConfig(
        shear=0.4,
        rotation_deg=0.7,
        scale=0.15,
        translate=0.05,
        contrast=0.4,
        thickness_prob=0.6,
        elastic=0.04,
        binarize=0.2,
    )


def lines_config() -> TrainConfig:
    """Text lines (ALTO/PAGE datasets: ``--dataset pages/``) on two CPU cores.

    Starts from ``Models/rendered_base`` (its network: height 40, 16-64
    filters, one BiLSTM(128)), whose letters carry over to lines, so the CTC
    plateau that a line model from random weights sits on for many CPU
    epochs is skipped (from random weights, 10 minutes of rendered lines
    still read nothing: validation CER 0.99); its vocabulary grows by the
    space, accents and punctuation of the lines. Height 40 keeps a Copiste
    line (74 x 1,190 pixels at the median) at about 640 columns: 160 CTC
    steps at 4 columns a step, for labels of up to about 100 characters. The
    cache is 2,048 columns wide, so only a line longer than 51 times its
    height is squeezed; batches are grouped by width in steps of 128
    columns (a few compiled shapes under JAX, short padding everywhere). The
    first minutes go to rendered lines in English, French and German.
    """
    return TrainConfig(
        model=dhsd_net(),
        augment=line_warp(),
        base_model="Models/rendered_base",
        max_width=2048,
        bucket_width=128,
        batch_size=16,
        learning_rate=1e-3,
        epochs=1000,
        early_stopping_patience=1000,  # the time budget ends training
        max_minutes=60.0,
        lr_schedule="time_cosine",
        pretrain_kind="lines",
        pretrain_samples=6000,
        pretrain_minutes=10.0,
        mix_rendered=1000,
    )


def lines_large_config() -> TrainConfig:
    """The line recipe for a GPU: height 64, wider blocks and two BiLSTM(256), about 17 MB as ONNX.

    Trained under JAX (``KERAS_BACKEND=jax python train.py --recipe lines_large``);
    the LSTMs and the CTC loss keep their loops at line lengths (see
    ``model.recognizer.MAX_UNROLLED_LSTM_STEPS``).
    """
    cfg = lines_config()
    cfg.base_model = None  # its own, larger network from random weights
    cfg.model = ModelConfig(
        height=64,
        filters=(32, 48, 64, 96, 128, 160),
        strides=((2, 2), (2, 2), (1, 1), (2, 1), (1, 1), (2, 1)),
        lstm_units=(256, 256),
        dropout=0.25,
    )
    cfg.max_width = 2560
    cfg.bucket_width = 256
    cfg.batch_size = 32
    cfg.learning_rate = 1e-3
    cfg.max_minutes = 20.0
    cfg.pretrain_samples = 40000
    cfg.pretrain_minutes = 6.0
    cfg.mix_rendered = 4000
    return cfg


RECIPES = {
    "default": default_config,
    "dhsd": dhsd_config,
    "rendered_base": rendered_base_config,
    "lines": lines_config,
    "lines_large": lines_large_config,
}
