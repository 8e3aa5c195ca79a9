"""What other areas may use of the segments area."""

from chalicelib.segments.campaign_results import measurement_ends, results

__all__ = ["measurement_ends", "results"]
