"""The values a replication's tables take: student statuses, episode kinds, detection channels.

The model writes them and the metrics read them; defining them here keeps the readers free of
the model.
"""

ENROLLED, GRADUATED, DISMISSED, WITHDRAWN = "enrolled", "graduated", "dismissed", "withdrawn"
ACADEMIC, WELLBEING, ISOLATION = "academic", "wellbeing", "isolation"
STILL_OPEN = "censored"  # an episode's outcome when its student's follow-up ended first
CHANNELS = ("self", "peer", "mentor", "coach", "facilitator", "advisor", "institution")
CHANNEL_GROUP = {
    "self": "self", "peer": "peer", "mentor": "peer", "coach": "faculty",
    "facilitator": "faculty", "advisor": "faculty", "institution": "institution",
}
