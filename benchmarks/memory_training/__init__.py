"""Study: peak memory of a short training run against the dataset size."""
