"""lcsim: a discrete-event simulator of learning communities in medical schools.

`lcsim.comparison.runner([...], out=...)` runs a committee comparison from Python and returns a
`Comparison` holding the DataFrames (see `lcsim.comparison.runner` and the README).
"""

__version__ = "0.1.0"

from lcsim.comparison.runner import Comparison, compare  # noqa: E402 (compare needs __version__ first)

__all__ = ["Comparison", "__version__", "compare"]
