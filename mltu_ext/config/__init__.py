"""Configuration as checked dataclasses: the recipe saved with a model, and how one run executes."""

from mltu_ext.config.model_config import AugmentConfig, ModelConfig
from mltu_ext.config.run_config import RunConfig
from mltu_ext.config.train_config import TrainConfig

__all__ = ["AugmentConfig", "ModelConfig", "RunConfig", "TrainConfig"]
