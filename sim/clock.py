"""The simulation clock: the model's time unit is the hour.

Every conversion between hours, days, weeks, months and years is defined here
once.  A year is 365 days and a month a twelfth of a year (730 hours), so that
monthly and yearly rates agree exactly.
"""

from __future__ import annotations

MINUTES_PER_HOUR = 60.0
HOURS_PER_DAY = 24.0
DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.0
MONTHS_PER_YEAR = 12.0

HOURS_PER_WEEK = DAYS_PER_WEEK * HOURS_PER_DAY  # 168
HOURS_PER_YEAR = DAYS_PER_YEAR * HOURS_PER_DAY  # 8760
HOURS_PER_MONTH = HOURS_PER_YEAR / MONTHS_PER_YEAR  # 730

__all__ = [
    "DAYS_PER_WEEK",
    "DAYS_PER_YEAR",
    "HOURS_PER_DAY",
    "HOURS_PER_MONTH",
    "HOURS_PER_WEEK",
    "HOURS_PER_YEAR",
    "MINUTES_PER_HOUR",
    "MONTHS_PER_YEAR",
]
