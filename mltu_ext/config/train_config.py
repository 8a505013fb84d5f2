"""The training recipe as a checked dataclass, saved as ``config.json`` next to the model.

``TrainConfig`` holds everything needed to rebuild and retrain a model: the
network sizes (``ModelConfig``), the augmentation (``AugmentConfig``) and the
recipe (data, optimiser, schedule, stopping). How one run executes (devices,
processes, output folder) is ``RunConfig``'s, and is not saved here.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mltu_ext.config.fields import build
from mltu_ext.config.model_config import AugmentConfig, ModelConfig
from mltu_ext.data.format_names import FORMAT_NAMES
from mltu_ext.errors import ConfigError

# Widest training image allowed (columns at the model's height): the image cache holds
# samples x height x max_width bytes, so a slip such as 1e9 would ask for terabytes
MAX_WIDTH_LIMIT = 16384

# fields that older model folders' config.json held and that now belong to the
# run (RunConfig): read and set aside, so those folders still load
RUN_FIELDS = (
    "model_dir",
    "tensorboard",
    "jit_compile",
    "mixed_precision",
    "data_parallel",
    "processes",
    "steps_per_call",
    "int8_export",
)


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
    # the rendered default data is distorted as it is drawn: a second random warp
    # only slows learning, except for a base model that is to read real handwriting
    # (synth.default_words turns augment.enabled off for it unless this is set)
    augment_rendered: bool = False
    # start from this trained model folder (its sizes, weights and vocabulary, grown
    # by new characters), as --init-from does; None: from random weights
    base_model: str | None = None
    # warm-up on rendered words before a real dataset (mltu_ext.training.pretraining):
    # how many to render in the dataset's characters (0: no warm-up) and how many
    # of max_minutes to spend on them
    pretrain_samples: int = 0
    pretrain_minutes: float = 0.0
    # what the warm-up renders: "words" (single words) or "lines" (whole lines in
    # English, French and German next to the training texts)
    pretrain_kind: str = "words"
    # of those rendered words, how many stay in the training set next to the real
    # words after the warm-up (a regulariser against the few real writers)
    mix_rendered: int = 0
    max_width: int = 256  # training images are padded (or squeezed) to this width
    # batches of similar-width words, cropped to a multiple of this many columns
    # (0: every batch is max_width wide; None: 16 under TensorFlow, else 0 because
    # JAX compiles the step once per width); a multiple of the time scale
    bucket_width: int | None = None
    batch_size: int = 32
    # apply the optimiser once every this many batches, on their averaged gradients
    # (Keras' gradient_accumulation_steps): the effective batch of a larger batch
    # for long lines that do not fit in memory at that size
    accumulate: int = 1
    epochs: int = 100
    learning_rate: float = 1e-3
    optimizer: str = "adam"  # "adam" or "adamw" (decoupled weight decay)
    weight_decay: float = 0.0  # for adamw
    # validate, checkpoint and export the exponential moving average of the weights
    # with this momentum (0: the weights as trained); 0.999 averages about the last
    # thousand steps, which smooths the noise of small batches of few writers
    ema_momentum: float = 0.0
    early_stopping_patience: int = 8
    lr_patience: int = 3
    lr_factor: float = 0.5
    min_learning_rate: float = 1e-5
    max_minutes: float | None = None  # stop training after this wall time
    # "plateau": halve on a validation-CER plateau; "time_cosine": cosine over
    # max_minutes; "cosine": cosine over the epochs; "auto": time_cosine when
    # max_minutes is set (a short run still ends at a small rate), else plateau
    lr_schedule: str = "auto"
    val_fraction: float = 0.1
    seed: int = 42
    split: dict[str, Any] = field(default_factory=dict)  # how the data was split

    def validate(self) -> None:
        """Raise ConfigError naming the first field that cannot work."""
        self.model.validate()
        self.augment.validate()
        if self.max_width < self.model.height // 2:
            raise ConfigError(f"max_width={self.max_width}: too narrow for height {self.model.height}")
        if self.max_width > MAX_WIDTH_LIMIT:
            raise ConfigError(
                f"max_width={self.max_width}: more than {MAX_WIDTH_LIMIT} columns; a line that wide "
                "is better cut into lines or read as a page"
            )
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
        for name in ("batch_size", "accumulate", "epochs", "synthetic_samples"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name}={getattr(self, name)}: must be positive")
        if not 0.0 < self.learning_rate < 1.0:
            raise ConfigError(f"learning_rate={self.learning_rate}: must be in (0, 1)")
        if not 0.0 < self.val_fraction < 1.0:
            raise ConfigError(f"val_fraction={self.val_fraction}: must be in (0, 1)")
        if self.dataset_format is not None and self.dataset_format not in FORMAT_NAMES:
            raise ConfigError(f"dataset_format={self.dataset_format!r}: use one of {', '.join(FORMAT_NAMES)}")
        if self.synthetic_text not in ("lower_words", "mixed", "names"):
            raise ConfigError(
                f"synthetic_text={self.synthetic_text!r}: use 'lower_words', 'mixed' or 'names'"
            )
        if self.pretrain_kind not in ("words", "lines"):
            raise ConfigError(f"pretrain_kind={self.pretrain_kind!r}: use 'words' or 'lines'")
        if self.optimizer not in ("adam", "adamw"):
            raise ConfigError(f"optimizer={self.optimizer!r}: use 'adam' or 'adamw'")
        if not 0.0 <= self.ema_momentum < 1.0:
            raise ConfigError(f"ema_momentum={self.ema_momentum}: use 0 (off) or a value in (0, 1)")
        if self.weight_decay < 0:
            raise ConfigError(f"weight_decay={self.weight_decay}: must not be negative")
        if self.lr_schedule not in ("auto", "plateau", "time_cosine", "cosine"):
            raise ConfigError(
                f"lr_schedule={self.lr_schedule!r}: use 'auto', 'plateau', 'time_cosine' or 'cosine'"
            )
        if min(self.pretrain_samples, self.pretrain_minutes, self.mix_rendered) < 0:
            raise ConfigError("pretrain_samples, pretrain_minutes and mix_rendered must not be negative")
        if self.mix_rendered > self.pretrain_samples:
            raise ConfigError(
                f"mix_rendered={self.mix_rendered}: more than the {self.pretrain_samples} rendered "
                "warm-up samples (pretrain_samples); lower mix_rendered (--set mix_rendered=0)"
            )
        for name in ("seed", "synthetic_seed"):  # numpy's seeds: 0 to 2**32 - 1
            if not 0 <= getattr(self, name) < 2**32:
                raise ConfigError(f"{name}={getattr(self, name)}: must be from 0 to 2**32 - 1")
        for name in ("early_stopping_patience", "lr_patience"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name}={getattr(self, name)}: must not be negative")
        if not 0.0 < self.lr_factor < 1.0:
            raise ConfigError(f"lr_factor={self.lr_factor}: must be in (0, 1), the share of the rate kept")
        if self.min_learning_rate < 0:
            raise ConfigError(f"min_learning_rate={self.min_learning_rate}: must not be negative")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise ConfigError(f"max_minutes={self.max_minutes}: must be positive (null: no time limit)")
        if self.pretrain_samples and self.pretrain_minutes <= 0:
            raise ConfigError(
                f"pretrain_samples={self.pretrain_samples} needs pretrain_minutes > 0 "
                "(--pretrain-minutes), the time spent on them"
            )
        if self.pretrain_samples and self.max_minutes and self.pretrain_minutes >= self.max_minutes:
            raise ConfigError(
                f"pretrain_minutes={self.pretrain_minutes} leaves nothing of max_minutes={self.max_minutes}"
            )
        if self.schedule == "time_cosine" and not self.max_minutes:
            raise ConfigError("lr_schedule='time_cosine' needs max_minutes")

    @property
    def schedule(self) -> str:
        """The learning-rate schedule, with "auto" resolved."""
        if self.lr_schedule != "auto":
            return self.lr_schedule
        return "time_cosine" if self.max_minutes else "plateau"

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
        """The fields as a plain dict, ``model`` and ``augment`` included (what :meth:`save` writes)."""
        return dataclasses.asdict(self)

    def save(self, path: str | Path) -> None:
        """Write the config as JSON (``config.json`` in a model folder)."""
        from mltu_ext.io.atomic import write_text

        write_text(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild a config; unknown keys raise ConfigError so typos are not ignored."""
        if not isinstance(data, dict):
            raise ConfigError(f"config: expected an object of fields, got {type(data).__name__}")
        data = {k: v for k, v in data.items() if k not in RUN_FIELDS}
        model = build(ModelConfig, data.pop("model", {}), "model")
        augment = build(AugmentConfig, data.pop("augment", {}), "augment")
        return build(cls, data, "config", model=model, augment=augment)

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        """Read a config written by :meth:`save`; ConfigError names the file and the field."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ConfigError(f"{path}: cannot read config ({error})") from error
        try:
            return cls.from_dict(data)
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from error
