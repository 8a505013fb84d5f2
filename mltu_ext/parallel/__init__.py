"""Training on several devices or processes (JAX and TensorFlow), and several steps per compiled call."""
