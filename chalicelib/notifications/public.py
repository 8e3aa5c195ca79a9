"""Notifications' front door: recipients, channels and quiet hours, for the areas that send in bulk.

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.notifications import dev, recipients, rules

recipient_keys = recipients.recipient_keys
"""The items a recipient is read from (profile, settings, the template's grants)."""

recipient_of = recipients.recipient_of
"""The recipient from the raw items of ``recipient_keys`` that exist."""

set_wechat_failure_rate = dev.set_wechat_failure_rate
"""Tell the WeChat simulator to fail this share of its sends (local stack only)."""

channels_for = rules.channels_for
"""The push channels a member can be reached on, in the order they are tried."""

in_quiet_hours = rules.in_quiet_hours
"""Whether a local wall-clock time is inside the quiet window (which may wrap midnight)."""

quiet_ends = rules.quiet_ends
"""When the quiet window ends (when a held message goes)."""

Recipient = rules.Recipient
"""What a delivery knows of the member it sends to."""

SMS = rules.SMS
"""The SMS channel's name."""

WECHAT_SUBSCRIBE = rules.WECHAT_SUBSCRIBE
"""The mini-program subscription-message channel's name."""

WECHAT_TEMPLATE = rules.WECHAT_TEMPLATE
"""The official-account template-message channel's name."""
