"""Scenario files: the schema, safe YAML reading, validation with friendly errors, `extends` and `--set`."""
