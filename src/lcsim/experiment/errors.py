"""The error of an unusable run, comparison or sweep directory (free of dependencies).

Kept in a module of its own so the command line can catch it without importing the model.
"""

from __future__ import annotations


class RunError(Exception):
    """A run directory cannot be used (e.g. resuming with different inputs).

    The CLI prints the message as is and exits with code 2.
    """
