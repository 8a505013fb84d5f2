"""Training: the trainer, fine-tuning, callbacks, learning-rate schedules and the rendered warm-up."""
