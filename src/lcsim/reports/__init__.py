"""Reports and figures from stored tables: never the model."""
