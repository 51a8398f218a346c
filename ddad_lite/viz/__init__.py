"""Figures and widgets for the notebooks: plots of runs, snapshots and datasets.

Downstream of everything else: nothing in the engine imports this package.
"""
