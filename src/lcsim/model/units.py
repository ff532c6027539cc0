"""Units of the model's clock and calendar, defined once. Every model time is in days.

Two months are in use and are kept apart on purpose (outputs depend on each): rates given per
month (mentor contacts, small-group sessions) use the mean calendar month, a twelfth of the
year, while the growth of the risk of leaving (`episodes.hazard_growth_per_month`) was set with
a 30-day month. Faculty hours count a working year of 52 weeks. Unifying these would change
every output: a candidate for a later, deliberate change.
"""

from __future__ import annotations

DAYS_PER_YEAR = 365.0
MONTHS_PER_YEAR = 12
DAYS_PER_MONTH = DAYS_PER_YEAR / MONTHS_PER_YEAR  # the mean calendar month
DAYS_PER_HAZARD_MONTH = 30.0  # the month of `episodes.hazard_growth_per_month`
DAYS_PER_WEEK = 7
WEEKS_PER_YEAR = 52  # weeks of faculty time a year (protected hours, meeting load)
EPS = 1e-9  # days: times closer than this count as the same instant
BOOKING_DAYS = 28  # teaching days between bookings of the peer network's tie changes
VERTICAL_POOL = 4  # partners in the class above of each student of a vertical community
SENIOR_CLASSES = 3  # network-only classes in school at day 0 (mentors, vertical partners)
