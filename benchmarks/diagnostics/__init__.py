"""Diagnostic tools of the GPU studies: host CPU use per thread, CPU pairs, profile summaries."""
