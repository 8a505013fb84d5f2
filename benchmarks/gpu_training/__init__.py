"""Study: GPU training throughput under Keras 3 + JAX, against PyTorch, one and two GPUs."""
