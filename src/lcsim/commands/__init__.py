"""Subcommands of the `lcsim` CLI, one module each."""
