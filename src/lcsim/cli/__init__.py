"""The `lcsim` command: each subcommand parses arguments, calls the library and prints."""
