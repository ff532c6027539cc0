"""How many replications a comparison runs unless told otherwise (no imports: the CLI's help
quotes these without loading the comparison layer)."""

DEFAULT_REPLICATIONS = 50
DEFAULT_FIRST_ROUND = 20  # with --target-ci and no --replications
DEFAULT_MAX_REPLICATIONS = 500
ROUND = 20  # replications added per round of --target-ci (a multiple of BATCH keeps keys aligned)
DEFAULT_TRACE = 0.05  # share of students whose events are logged: the report's paired stories
