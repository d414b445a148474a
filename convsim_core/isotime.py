"""``datetime.isoformat()`` for transcript lines, byte for byte, at a fraction of its cost.

Every message line of every transcript carries its timestamp in ISO form, and
``datetime.isoformat`` costs about as much as all the rest of the line (11k instructions for an
aware datetime: it formats with ``%``-style C code and asks the zone for its offset). A
conversation's timestamps nearly always fall on one day in one fixed zone, so the date and
the offset are formatted once per day and zone, and only the time of day is put together
from the difference to that day's midnight with integer maths and tables of digits.

Anything else (a ``datetime`` subclass, a zone whose offset may change within a day such as
``zoneinfo``) goes to ``isoformat`` itself, so the text is always exactly what it writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

_TWO = tuple(f"{n:02d}" for n in range(60))
_THREE = tuple(f"{n:03d}" for n in range(1000))


class _Day:
    """One day in one zone: its bounds and the text before and after the time of day."""

    __slots__ = ("end", "midnight", "prefix", "suffix", "tzinfo")

    def __init__(self, moment: datetime) -> None:
        text = moment.isoformat()
        self.midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        self.end = self.midnight + timedelta(days=1) if self.midnight.year < 9999 else moment
        self.tzinfo = moment.tzinfo
        self.prefix = text[:11]  # YYYY-MM-DDT
        self.suffix = text[26:] if moment.microsecond else text[19:]  # the offset, or ""


_day = _Day(datetime(2000, 1, 1))
"""The day of the last timestamp formatted (replaced whole, so threads see one or the other)."""


def isoformat(moment: datetime) -> str:
    """``moment.isoformat()``."""
    global _day
    if type(moment) is not datetime:
        return moment.isoformat()  # a subclass may format itself (or compare) its own way
    day = _day
    # The zone first: naive and aware datetimes cannot be ordered, and only the same zone
    # object makes the comparisons plain wall-clock ones.
    if moment.tzinfo is not day.tzinfo or not day.midnight <= moment < day.end:
        tzinfo = moment.tzinfo
        if not (tzinfo is None or type(tzinfo) is timezone):
            return moment.isoformat()  # an offset that may change within a day
        day = _Day(moment)
        if not day.midnight <= moment < day.end:  # the last day datetime can hold
            return moment.isoformat()
        _day = day
    clock = f"{_TWO[moment.hour]}:{_TWO[moment.minute]}:{_TWO[moment.second]}"
    micro = moment.microsecond
    if micro:
        return f"{day.prefix}{clock}.{_THREE[micro // 1000]}{_THREE[micro % 1000]}{day.suffix}"
    return f"{day.prefix}{clock}{day.suffix}"
