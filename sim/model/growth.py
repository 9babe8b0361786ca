"""Growth: paid acquisition, referrals from promoters, and negative word of mouth.

Promoters intend to refer; about 40 % act and about 13 % of those referred
convert (Kumar, Petersen & Leone 2007).  Detractors spread negative word of
mouth that deters prospects; positive word of mouth is about three times as
frequent as negative (East, Hammond & Wright 2007).
"""

from __future__ import annotations


def expected_referrals(
    promoters: int, intent: float, action: float, conversion: float, months: float
) -> float:
    """Expected new customers from promoters' referrals over ``months``."""
    return promoters * intent * action * conversion * months


def word_of_mouth(
    promoters: int, detractors: int, positive_rate: float, negative_rate: float, months: float
) -> tuple[float, float]:
    """Expected positive and negative word-of-mouth conversations over ``months``."""
    return promoters * positive_rate * months, detractors * negative_rate * months


def expected_paid_acquisitions(
    per_month: float, months: float, negative_conversations: float, deterrence: float
) -> float:
    """Paid acquisitions, less the prospects that negative word of mouth turned away."""
    return max(per_month * months - deterrence * negative_conversations, 0.0)
