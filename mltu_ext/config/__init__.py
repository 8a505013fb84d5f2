"""Configuration as checked dataclasses: the recipe saved with a model, and how one run executes."""

from mltu_ext.config.train_config import AugmentConfig, ModelConfig, TrainConfig

__all__ = ["AugmentConfig", "ModelConfig", "TrainConfig"]
