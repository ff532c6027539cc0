"""lcsim: a discrete-event simulator of learning communities in medical schools."""

__version__ = "0.1.0"
