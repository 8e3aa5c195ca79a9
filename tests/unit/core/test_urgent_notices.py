"""Which messages go out in quiet hours: what a member who paid or was refunded must hear at once is urgent."""

from __future__ import annotations

from chalicelib.core.notifications import TEMPLATES


def test_every_refund_and_the_plus_activation_are_urgent() -> None:
    refunds = [name for name, spec in TEMPLATES.items() if "refund" in (spec.kind or name)]
    assert {"refunded", "plus_refunded"} <= set(refunds)
    assert [name for name in refunds if not TEMPLATES[name].urgent] == []
    assert TEMPLATES["plus_activated"].urgent is True


def test_routine_messages_stay_held_in_quiet_hours() -> None:
    assert TEMPLATES["needs_follow_up"].urgent is False
    assert TEMPLATES["plus_renewal_reminder"].urgent is False
