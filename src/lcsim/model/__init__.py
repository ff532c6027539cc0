"""The simulation: students, episodes, faculty, their processes and rules; free of I/O."""
