"""Study: the best DHSD recipe on a GPU (rendered warm-up, fine-tuning) and its decodings."""
