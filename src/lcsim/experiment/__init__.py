"""Replications on an executor: seeds, batches, the worker, the crash-safe store, resume."""
