"""lcsim: a discrete-event simulator of learning communities in medical schools.

The library API is `lcsim.load`, `lcsim.run`, `lcsim.compare`, `lcsim.sweep` and
`lcsim.report` and `lcsim.story` (see `lcsim.api`) and the objects they return. They are imported on first use,
so `import lcsim` (and starting the `lcsim` command) stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = {
    "load": "lcsim.api", "load_sweep": "lcsim.api", "run": "lcsim.api",
    "compare": "lcsim.api", "sweep": "lcsim.api", "report": "lcsim.api", "story": "lcsim.api",
    "RunResults": "lcsim.results", "SweepResults": "lcsim.results",
    "Comparison": "lcsim.comparison.result",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'lcsim' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
