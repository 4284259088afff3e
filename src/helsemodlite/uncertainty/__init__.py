"""Uncertainty: the declared widths of the inputs, Monte Carlo draws on the batch axis and their
summaries (docs/uncertainty.md)."""
