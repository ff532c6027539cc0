"""Committee comparisons: proposals against a reference on common random numbers."""
