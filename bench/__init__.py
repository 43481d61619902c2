"""City-scale benchmarks (``python -m bench``)."""
