"""Notifications' front door: recipients, channels and quiet hours, for the areas that send in bulk.

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.lazy import front_door

if TYPE_CHECKING:
    from chalicelib.notifications.dev import (
        set_wechat_failure_rate as set_wechat_failure_rate,
    )
    from chalicelib.notifications.recipients import (
        recipient_keys as recipient_keys,
    )
    from chalicelib.notifications.recipients import (
        recipient_of as recipient_of,
    )
    from chalicelib.notifications.rules import (
        SMS as SMS,
    )
    from chalicelib.notifications.rules import (
        WECHAT_SUBSCRIBE as WECHAT_SUBSCRIBE,
    )
    from chalicelib.notifications.rules import (
        WECHAT_TEMPLATE as WECHAT_TEMPLATE,
    )
    from chalicelib.notifications.rules import (
        Recipient as Recipient,
    )
    from chalicelib.notifications.rules import (
        channels_for as channels_for,
    )
    from chalicelib.notifications.rules import (
        in_quiet_hours as in_quiet_hours,
    )
    from chalicelib.notifications.rules import (
        quiet_ends as quiet_ends,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "set_wechat_failure_rate": ("dev", "Tell the WeChat simulator to fail this share of its sends (local stack only)."),
    "recipient_keys": ("recipients", "The items a recipient is read from (profile, settings, the template's grants)."),
    "recipient_of": ("recipients", "The recipient from the raw items of ``recipient_keys`` that exist."),
    "channels_for": ("rules", "The push channels a member can be reached on, in the order they are tried."),
    "in_quiet_hours": ("rules",
        "Whether a local wall-clock time is inside the quiet window (which may wrap midnight)."),
    "quiet_ends": ("rules", "When the quiet window ends (when a held message goes)."),
    "Recipient": ("rules", "What a delivery knows of the member it sends to."),
    "SMS": ("rules", "The SMS channel's name."),
    "WECHAT_SUBSCRIBE": ("rules", "The mini-program subscription-message channel's name."),
    "WECHAT_TEMPLATE": ("rules", "The official-account template-message channel's name."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
