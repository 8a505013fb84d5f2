"""The network: residual CNN blocks, bidirectional LSTMs, CTC softmax, and the augmentation layer."""
