"""Parameter sweeps: designs, runs over design points, sensitivity analysis."""
