"""Configuration as checked dataclasses, saved as JSON next to the model.

``TrainConfig`` holds everything needed to rebuild and retrain a model:
the network sizes (``ModelConfig``), the augmentation (``AugmentConfig``)
and the training recipe. ``config.json`` in a model folder is the one
source of truth for that model.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mltu_ext.errors import ConfigError


@dataclass
class ModelConfig:
    """Sizes of the residual CNN + BiLSTM recogniser.

    ``filters[i]`` and ``strides[i]`` describe residual block ``i``; a stride is
    ``(height, width)``. The product of the width strides is how many image
    columns make one CTC time step.
    """

    height: int = 32
    channels: int = 1
    filters: tuple[int, ...] = (32, 32, 64, 64, 96, 96)
    strides: tuple[tuple[int, int], ...] = ((1, 1), (2, 2), (1, 1), (2, 2), (1, 1), (2, 1))
    lstm_units: tuple[int, ...] = (128, 128)
    dropout: float = 0.2
    vocabulary: str = ""

    def __post_init__(self) -> None:
        self.filters = tuple(int(f) for f in self.filters)
        self.strides = tuple((int(s[0]), int(s[1])) for s in self.strides)
        self.lstm_units = tuple(int(u) for u in self.lstm_units)

    @property
    def time_scale(self) -> int:
        """Image columns per CTC time step."""
        scale = 1
        for _, sw in self.strides:
            scale *= sw
        return scale

    @property
    def height_scale(self) -> int:
        scale = 1
        for sh, _ in self.strides:
            scale *= sh
        return scale

    def validate(self) -> None:
        """Raise ConfigError naming the first field that cannot work."""
        if self.height < 8:
            raise ConfigError(f"model.height={self.height}: must be at least 8 pixels")
        if self.channels not in (1, 3):
            raise ConfigError(f"model.channels={self.channels}: must be 1 or 3")
        if not self.filters or len(self.filters) != len(self.strides):
            raise ConfigError(
                f"model.filters has {len(self.filters)} entries and model.strides "
                f"{len(self.strides)}: give one stride per residual block"
            )
        if any(f <= 0 for f in self.filters):
            raise ConfigError(f"model.filters={self.filters}: must be positive")
        if any(s not in (1, 2) for pair in self.strides for s in pair):
            raise ConfigError(f"model.strides={self.strides}: each stride must be 1 or 2")
        if self.height % self.height_scale:
            raise ConfigError(
                f"model.height={self.height} is not divisible by the height strides' "
                f"product {self.height_scale}"
            )
        if not self.lstm_units or any(u <= 0 for u in self.lstm_units):
            raise ConfigError(f"model.lstm_units={self.lstm_units}: give at least one positive size")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"model.dropout={self.dropout}: must be in [0, 1)")


@dataclass
class AugmentConfig:
    """Random changes applied to training batches only (inside the training step)."""

    enabled: bool = True
    shear: float = 0.3  # max horizontal shear (dx/dy), both directions: slant
    rotation_deg: float = 3.0
    scale: float = 0.12  # +-12 % zoom
    translate: float = 0.04  # share of the height, up/down
    brightness: float = 0.15  # share of the full range
    contrast: float = 0.3  # contrast factor in [1 - c, 1 + c]
    thickness_prob: float = 0.5  # chance of thinning or thickening the strokes
    elastic: float = 0.0  # smooth random bending, up to this share of the height

    def validate(self) -> None:
        for name in ("shear", "rotation_deg", "scale", "translate", "brightness", "contrast", "elastic"):
            if getattr(self, name) < 0:
                raise ConfigError(f"augment.{name}={getattr(self, name)}: must not be negative")
        if not 0.0 <= self.thickness_prob <= 1.0:
            raise ConfigError(f"augment.thickness_prob={self.thickness_prob}: must be in [0, 1]")
        if self.scale >= 0.5 or self.contrast >= 1.0:
            raise ConfigError("augment.scale must be < 0.5 and augment.contrast < 1")


@dataclass
class TrainConfig:
    """The whole recipe: data, model, augmentation, optimiser and stopping rules."""

    model: ModelConfig = field(default_factory=ModelConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    dataset: str | None = None  # None: the embedded rendered handwriting
    dataset_format: str | None = None
    synthetic_samples: int = 24000
    synthetic_seed: int = 0
    # labels of the rendered default data: "lower_words" (English words of 3-10
    # lower-case letters), "mixed" (cases, numbers, hyphens, punctuation) or
    # "names" (capitalised words with umlauts, ß and hyphens, as German place names)
    synthetic_text: str = "lower_words"
    # start from this trained model folder (its sizes, weights and vocabulary, grown
    # by new characters), as --init-from does; None: from random weights
    base_model: str | None = None
    # warm-up on rendered words before a real dataset (mltu_ext.training.pretraining):
    # how many to render in the dataset's characters (0: no warm-up) and how many
    # of max_minutes to spend on them
    pretrain_samples: int = 0
    pretrain_minutes: float = 0.0
    # of those rendered words, how many stay in the training set next to the real
    # words after the warm-up (a regulariser against the few real writers)
    mix_rendered: int = 0
    max_width: int = 256  # training images are padded (or squeezed) to this width
    # batches of similar-width words, cropped to a multiple of this many columns
    # (0: every batch is max_width wide; None: 16 under TensorFlow, else 0 because
    # JAX compiles the step once per width); a multiple of the time scale
    bucket_width: int | None = None
    batch_size: int = 32
    epochs: int = 100
    learning_rate: float = 1e-3
    optimizer: str = "adam"  # "adam" or "adamw" (decoupled weight decay)
    weight_decay: float = 0.0  # for adamw
    early_stopping_patience: int = 8
    lr_patience: int = 3
    lr_factor: float = 0.5
    min_learning_rate: float = 1e-5
    max_minutes: float | None = None  # stop training after this wall time
    # "plateau": halve on a validation-CER plateau; "time_cosine": cosine over
    # max_minutes; "cosine": cosine over the epochs
    lr_schedule: str = "plateau"
    val_fraction: float = 0.1
    seed: int = 42
    model_dir: str = ""
    tensorboard: bool = False
    jit_compile: bool | str = "auto"
    mixed_precision: str | None = None  # None, "bfloat16" or "float16"
    data_parallel: bool = False  # split each batch over all local GPUs (batch_size is per device)
    # JAX: train in this many processes, one GPU each (train.py --processes;
    # mltu_ext.parallel.multi_process), with the batch split over all of them
    processes: int = 1
    # training steps per compiled call (mltu_ext.parallel.grouped_steps): fewer, larger
    # calls keep a GPU busy; callbacks then run once per group
    steps_per_call: int = 1
    # next to model.onnx also write model.int8.onnx: int8 convolutions calibrated on
    # training images and int8 LSTMs (mltu_ext.export.quantize), about 1.5x faster on a CPU
    int8_export: bool = False
    split: dict[str, Any] = field(default_factory=dict)  # how the data was split

    def validate(self) -> None:
        """Raise ConfigError naming the first field that cannot work."""
        self.model.validate()
        self.augment.validate()
        if self.max_width < self.model.height // 2:
            raise ConfigError(f"max_width={self.max_width}: too narrow for height {self.model.height}")
        if self.max_width % self.model.time_scale:
            raise ConfigError(
                f"max_width={self.max_width} must be divisible by the width strides' product "
                f"{self.model.time_scale}"
            )
        bucket = self.bucket_width or 0
        if bucket < 0 or bucket % self.model.time_scale:
            raise ConfigError(
                f"bucket_width={self.bucket_width}: use 0 or a multiple of the width strides' "
                f"product {self.model.time_scale}"
            )
        for name in ("batch_size", "epochs", "synthetic_samples"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name}={getattr(self, name)}: must be positive")
        if not 0.0 < self.learning_rate < 1.0:
            raise ConfigError(f"learning_rate={self.learning_rate}: must be in (0, 1)")
        if not 0.0 < self.val_fraction < 1.0:
            raise ConfigError(f"val_fraction={self.val_fraction}: must be in (0, 1)")
        if self.synthetic_text not in ("lower_words", "mixed", "names"):
            raise ConfigError(
                f"synthetic_text={self.synthetic_text!r}: use 'lower_words', 'mixed' or 'names'"
            )
        if self.optimizer not in ("adam", "adamw"):
            raise ConfigError(f"optimizer={self.optimizer!r}: use 'adam' or 'adamw'")
        if self.weight_decay < 0:
            raise ConfigError(f"weight_decay={self.weight_decay}: must not be negative")
        if self.lr_schedule not in ("plateau", "time_cosine", "cosine"):
            raise ConfigError(f"lr_schedule={self.lr_schedule!r}: use 'plateau', 'time_cosine' or 'cosine'")
        if min(self.pretrain_samples, self.pretrain_minutes, self.mix_rendered) < 0:
            raise ConfigError("pretrain_samples, pretrain_minutes and mix_rendered must not be negative")
        if self.processes < 1:
            raise ConfigError(f"processes={self.processes}: need at least 1")
        if self.steps_per_call < 1:
            raise ConfigError(f"steps_per_call={self.steps_per_call}: need at least 1")
        if self.processes > 1 and self.pretrain_samples:
            raise ConfigError(
                f"processes={self.processes} with a rendered warm-up (pretrain_samples="
                f"{self.pretrain_samples}): every process would render the same words; train the "
                "warm-up in one process, then --init-from its folder"
            )
        if self.mix_rendered > self.pretrain_samples:
            raise ConfigError(
                f"mix_rendered={self.mix_rendered}: more than the {self.pretrain_samples} rendered words"
            )
        if self.lr_schedule == "time_cosine" and not self.max_minutes:
            raise ConfigError("lr_schedule='time_cosine' needs max_minutes")
        if self.mixed_precision not in (None, "bfloat16", "float16"):
            raise ConfigError(
                f"mixed_precision={self.mixed_precision!r}: use bfloat16, float16 or leave it unset"
            )

    def batch_bucket(self, backend: str) -> int:
        """The bucket width to use under ``backend`` (resolves None)."""
        if self.bucket_width is not None:
            return self.bucket_width
        return 16 if backend == "tensorflow" and 16 % self.model.time_scale == 0 else 0

    @property
    def time_steps(self) -> int:
        """CTC time steps for a training image of ``max_width`` columns."""
        return self.max_width // self.model.time_scale

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, path: str | Path) -> None:
        """Write the config as JSON (``config.json`` in a model folder)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild a config; unknown keys raise ConfigError so typos are not ignored."""
        data = dict(data)
        model = _build(ModelConfig, data.pop("model", {}), "model")
        augment = _build(AugmentConfig, data.pop("augment", {}), "augment")
        cfg = _build(cls, data, "config", model=model, augment=augment)
        return cfg

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ConfigError(f"{path}: cannot read config ({error})") from error
        try:
            return cls.from_dict(data)
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from error


def _build(kind: type, values: dict[str, Any], where: str, **extra: Any) -> Any:
    names = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"{where} has unknown fields: {', '.join(unknown)}")
    return kind(**values, **extra)
