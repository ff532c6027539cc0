"""lcsim: a discrete-event simulator of learning communities in medical schools.

The library API is `lcsim.compare(...)` and its siblings in `lcsim.api`; they are imported on
first use, so `import lcsim` (and the `lcsim` command) stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = ("Comparison", "compare")
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        from lcsim import api

        return getattr(api, name)
    raise AttributeError(f"module 'lcsim' has no attribute {name!r}")
