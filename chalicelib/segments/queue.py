"""The segments area's fan-out messages go on the retry queue through ``core.retry.fanout`` (shared with the insights
area's passes)."""

from chalicelib.core.retry.fanout import reset, send

__all__ = ["reset", "send"]
