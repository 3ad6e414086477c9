"""Analyzers: pure functions from (model adapter, dataset, parameters) to typed Results."""
