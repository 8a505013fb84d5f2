"""The line segmenter's sizes and training settings, saved beside it as ``segmenter_config.json``."""

from __future__ import annotations

from dataclasses import dataclass

from mltu_ext.errors import ConfigError


@dataclass
class SegmenterConfig:
    """Sizes and training settings of the segmenter (``mltu_ext.segment.unet``)."""

    filters: tuple[int, ...] = (16, 32, 48, 64, 96)  # per level, the last one at the bottom
    long_side: int = 1024  # pages are scaled so that their longer side has this many pixels
    crop: int = 512  # training crops (square)
    batch_size: int = 16
    learning_rate: float = 2e-3
    baseline_weight: float = 4.0  # baselines are thin: their loss counts this much more
    seed: int = 0

    def validate(self) -> None:
        """ConfigError naming the first setting the network or its training cannot use."""
        if len(self.filters) < 2 or any(f < 1 for f in self.filters):
            raise ConfigError(f"filters={self.filters}: at least two levels of positive sizes")
        for name in ("crop", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)}: must be positive")
        if self.crop % self.multiple:
            raise ConfigError(f"crop={self.crop} must be a multiple of {self.multiple}")
        if self.long_side < self.multiple:
            raise ConfigError(f"long_side={self.long_side} must be at least {self.multiple}")
        if not 0.0 < self.learning_rate < 1.0:
            raise ConfigError(f"learning_rate={self.learning_rate}: must be in (0, 1)")
        if not self.baseline_weight > 0:
            raise ConfigError(f"baseline_weight={self.baseline_weight}: must be positive")

    @property
    def multiple(self) -> int:
        """What input sizes must be a multiple of (one halving per level below the top)."""
        return 2 ** (len(self.filters) - 1)
