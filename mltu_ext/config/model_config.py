"""The network's sizes and the random augmentation: the parts of a recipe that build the model."""

from __future__ import annotations

from dataclasses import dataclass, fields

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
    # the last N BiLSTMs add their output, projected by a Dense layer that starts at zero, to
    # their input: such layers start as the identity, so a trained network can grow deeper
    residual_lstms: int = 0
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
        """Image rows per row of the last feature map (the product of the height strides)."""
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
        if not 0 <= self.residual_lstms <= len(self.lstm_units):
            raise ConfigError(
                f"model.residual_lstms={self.residual_lstms}: must be between 0 and the number of "
                f"BiLSTMs ({len(self.lstm_units)})"
            )
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
    # widening up to 1 + stretch, as far as each image's blank right margin allows (0: only narrowing)
    stretch: float = 0.0
    # chance of an image being made black and white, then softened as a bitonal scan is when read
    binarize: float = 0.0

    def validate(self) -> None:
        """Raise ConfigError naming the first size or chance that is negative or out of range."""
        for name in (f.name for f in fields(self) if f.name != "enabled"):  # every size and chance
            if getattr(self, name) < 0:
                raise ConfigError(f"augment.{name}={getattr(self, name)}: must not be negative")
        for name in ("thickness_prob", "binarize"):  # chances
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"augment.{name}={getattr(self, name)}: must be in [0, 1]")
        if self.scale >= 0.5 or self.contrast >= 1.0:
            raise ConfigError("augment.scale must be < 0.5 and augment.contrast < 1")
