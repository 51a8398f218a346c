"""Plots for the notebooks: grids, curves, comparisons (the engine never imports viz)."""
