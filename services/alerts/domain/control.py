"""The control group: a share of selected customers nobody contacts, to prove the loop pays.

Assignment is a pure function of programme and customer: the same customer is always on the
same side (every alert, every replica, every replay), and no table of assignments is needed.
"""

from __future__ import annotations

import hashlib


def control_position(program: str, customer_id: str) -> float:
    """Where the customer falls in [0, 1): uniform over customers, fixed for each."""
    digest = hashlib.sha256(f"{program}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def held_out(program: str, customer_id: str, share: float) -> bool:
    return control_position(program, customer_id) < share
