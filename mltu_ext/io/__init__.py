"""Files the package writes: written whole under a temporary name, then renamed into place."""
