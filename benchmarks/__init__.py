"""Reproducible measurements, printed as tables (`make bench`)."""
