"""Statistics over replications: summaries, confidence intervals, paired differences, survival curves."""
