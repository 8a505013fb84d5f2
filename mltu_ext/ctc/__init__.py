"""CTC: the loss, greedy and beam decoding, and the edit-distance ops behind the CER/WER metrics."""
