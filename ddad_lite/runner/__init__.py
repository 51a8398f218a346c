"""Running and building the notebook series."""
