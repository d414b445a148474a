"""The fictional company's back office: prices, charges and parcels the demo bot "looks up".

Details are derived from the customer's email or order number with a stable hash, so the same
order always has the same carrier and tracking number, in every run and every process, and the
bot's answers read as concrete without any data behind them.
"""

from __future__ import annotations

import zlib

import attrs

PLANS = {"basic": 7.99, "plus": 12.99, "premium": 19.99, "family": 24.99}
"""Monthly price of each plan."""

CURRENT_PLAN = "plus"
"""Every demo account is on Plus, so upgrades, downgrades and refunds have concrete prices."""

_CARRIERS = (("ParcelCo", "PC"), ("SwiftPost", "SP"), ("Northline Express", "NX"))
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def _stable(value: str) -> int:
    """A hash that is the same in every process (``hash()`` is salted per run)."""
    return zlib.crc32(value.encode("utf-8"))


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def plan_price(plan: str) -> str:
    return f"{PLANS[plan]:.2f}"


def is_upgrade(plan: str) -> bool:
    return PLANS[plan] > PLANS[CURRENT_PLAN]


def subscription_charge() -> str:
    """What one month of the customer's subscription cost (the amount charged twice)."""
    return plan_price(CURRENT_PLAN)


def charge_day(email: str) -> str:
    """The day of the month the duplicate charge happened, e.g. "14th"."""
    return _ordinal(_stable(email) % 28 + 1)


def item_price(order: str) -> str:
    """What the customer paid for the item in ``order``."""
    return f"{19 + _stable(order) % 60}.99"


@attrs.frozen
class Shipment:
    carrier: str
    tracking: str
    out_for_delivery: bool
    shipped: str
    """Weekday it left the warehouse."""
    eta: str
    """Weekday it is due."""


def shipment(order: str) -> Shipment:
    h = _stable(order)
    carrier, prefix = _CARRIERS[h % len(_CARRIERS)]
    return Shipment(
        carrier=carrier,
        tracking=f"{prefix}{h % 10**9:09d}",
        out_for_delivery=h % 4 == 0,
        shipped=_WEEKDAYS[h % 3],
        eta=_WEEKDAYS[h % 3 + 2],
    )
