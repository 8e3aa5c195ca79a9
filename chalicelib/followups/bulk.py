"""Resolving many cases with one note: an outage leaves dozens of cases with the same cause.

Each case goes through the single routes' own use cases, one after the other: ``actions.claim`` (a no-op for a case
the agent holds already; another agent's claim or a resolved case refuses it with the single route's code) then
``case_resolution.resolve`` (the same conditional transaction, the same refund hook). One case refused does not stop the
others; each answers for itself with the code and message the single route would have given. A case this call
claimed and then could not resolve is released again, so a partial failure leaves nobody's name on a case they
never looked at. Neither builds a case page (``render=False``): a case costs the claim's read and write plus the
resolution's own calls.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import CATALOGUE, AppError
from chalicelib.core.observability import logger
from chalicelib.followups import actions, case_resolution


def _error(code: str, english: bool) -> dict[str, str]:
    spec = CATALOGUE[code]
    return {"code": code, "message": spec.en if english else spec.zh}


def _outcome(case_id: str, view: dict[str, Any] | None = None, error: dict[str, str] | None = None
             ) -> dict[str, Any]:
    return {"case_id": case_id, "ok": error is None, "status": view["status"] if view else None,
            "resolution": view["resolution"] if view else None,
            "compensation": view.get("compensation") if view else None, "error": error}


def _one(case_id: str, staff_id: str, resolution: str, note: str | None, english: bool) -> dict[str, Any]:
    claimed_here = False
    try:
        claimed_here = actions.claim(case_id, staff_id, render=False)["claimed_now"]
        view = case_resolution.resolve(case_id, staff_id, resolution, note, render=False)
    except AppError as err:
        if claimed_here:
            _release_quietly(case_id, staff_id)
        return _outcome(case_id, error=_error(err.code, english))
    except Exception:
        logger.exception("bulk resolve: a case failed", extra={"case_id": case_id})
        if claimed_here:
            _release_quietly(case_id, staff_id)
        return _outcome(case_id, error=_error("internal_error", english))
    return _outcome(case_id, view)


def _release_quietly(case_id: str, staff_id: str) -> None:
    try:
        actions.release(case_id, staff_id, "bulk resolve could not resolve it")
    except AppError as err:  # it moved meanwhile (resolved by a retry, say): nothing to give back
        logger.info("bulk resolve: the case was not released", extra={"case_id": case_id, "error_code": err.code})
    except Exception:
        logger.warning("bulk resolve: could not release a case it claimed", extra={"case_id": case_id}, exc_info=True)


def bulk_resolve(case_ids: list[str], staff_id: str, resolution: str, note: str | None,
                 english: bool = False) -> dict[str, Any]:
    """Every case (duplicates once, in the order given) resolved as the single route would; the outcome per case."""
    results = [_one(case_id, staff_id, resolution, note, english) for case_id in dict.fromkeys(case_ids)]
    resolved = sum(1 for r in results if r["ok"])
    logger.info("bulk resolve", extra={"staff_id": staff_id, "resolution": resolution, "resolved": resolved,
                                       "failed": len(results) - resolved})
    return {"resolved": resolved, "failed": len(results) - resolved, "results": results}
