"""Human member numbers: 10 digits, the first nine random (first one not zero) and a Luhn check digit.

The Luhn digit catches every single mistyped digit and every swap of two adjacent digits except 0<->9, so a
number read out on the hotline or typed at a till is checked before any lookup.
"""

from __future__ import annotations

import random
import secrets

LENGTH = 10
PAYLOAD_LENGTH = LENGTH - 1


def _luhn_sum(digits: str, double_first: bool) -> int:
    total = 0
    # Walk from the right; ``double_first`` says whether the rightmost digit given is doubled.
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if (index % 2 == 0) == double_first:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total


def luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass the Luhn test."""
    if not payload.isdigit() or not payload.isascii():
        raise ValueError("payload must be ASCII digits")
    return str((10 - _luhn_sum(payload, double_first=True) % 10) % 10)


def generate(rand: random.Random | None = None) -> str:
    """A new member number; uses the OS's secure source unless a ``random.Random`` is passed (tests)."""
    source = rand if rand is not None else secrets.SystemRandom()
    payload = str(source.randint(1, 9)) + "".join(str(source.randint(0, 9)) for _ in range(PAYLOAD_LENGTH - 1))
    return payload + luhn_check_digit(payload)


def is_valid(member_no: object) -> bool:
    """Ten ASCII digits, not starting with 0, passing the Luhn test."""
    if not isinstance(member_no, str) or len(member_no) != LENGTH:
        return False
    if not (member_no.isascii() and member_no.isdigit()) or member_no[0] == "0":
        return False
    return _luhn_sum(member_no, double_first=False) % 10 == 0
