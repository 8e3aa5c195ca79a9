"""The personal-data registry: for each item kind an area keeps, which attributes hold a member's personal data and
what happens to each when the member asks for a copy (export) or for their account to be closed (erasure).

Each area declares ``Area.personal_data``: its models' class names -> ``Kind``. The rule, here once:

- every attribute of every item model (besides the keys ``pk``/``sk`` and ``ttl``) is classified exactly once, as
  ``erase`` (personal: removed or blanked at erasure), ``keep`` (kept under the customer ID, which is a pseudonym once
  the identities are erased, for the legal ``reason`` the kind states: accounting records) or ``plain`` (no personal
  data: states, amounts, times, references); a kind that never holds a member's items says why in ``none``;
- ``export`` names what the member's copy carries (any classified attribute; the member's own data);
- ``where`` says how the member's items are found: sort-key prefixes under ``CUST#<id>`` (the bounded ``M#`` read and
  the ``H#`` prefixes among them), or ``finder``, a reference ``(customer_id) -> list[raw item]`` for kinds kept in
  other partitions.

``tests/unit/contract/test_personal_data_registry.py`` fails on a model attribute the registry does not classify.
"""

from __future__ import annotations

from typing import Any, NamedTuple

SYSTEM_ATTRIBUTES = frozenset({"pk", "sk", "ttl"})


class Kind(NamedTuple):
    export: str = ""
    erase: str = ""
    keep: str = ""
    plain: str = ""
    reason: str = ""
    where: tuple[str, ...] = ()
    finder: str | None = None  # a core.area Ref: (customer_id) -> the member's raw items of this kind elsewhere
    none: str = ""  # why the kind never holds a member's data (configuration, staff, catalogue)

    def names(self, field: str) -> frozenset[str]:
        return frozenset(str(getattr(self, field)).split())

    def problems(self, attributes: set[str]) -> list[str]:
        """What is wrong with this declaration for a model with ``attributes`` (empty: nothing)."""
        attributes = attributes - SYSTEM_ATTRIBUTES
        if self.none:
            return []
        found: list[str] = []
        classes = {c: self.names(c) for c in ("erase", "keep", "plain")}
        for name in sorted(attributes):
            held = [c for c, names in classes.items() if name in names]
            if len(held) != 1:
                found.append(f"{name}: classified {held or 'nowhere'} (erase, keep or plain, exactly once)")
        for field in ("export", "erase", "keep", "plain"):
            found += [f"{name}: in {field} but no such attribute" for name in sorted(self.names(field) - attributes)]
        if self.names("keep") and not self.reason:
            found.append("keep needs the legal reason")
        if (self.export or self.erase or self.keep) and not self.where and not self.finder:
            found.append("where (sort-key prefixes under CUST#) or a finder is needed")
        return found


ACCOUNTING = "accounting records (会计档案, kept 30 years: Accounting Archives Measures Art. 14)"


# A deletion in its cooling-off is kept on the member's bounded privacy item, so every hot path's one Query sees it.
DELETION_SK = "M#PRIVACY"
DELETION_FIELD = "deletion_effective_at"


def deletion_pending(member_items: list[dict[str, Any]]) -> bool:
    """Whether the member asked for their account to be closed (cooling off, or erasing), from the raw ``M#`` items
    the caller's bounded read returned: spending points and booking refuse then (409 ``deletion_pending``)."""
    return any(raw.get("sk", {}).get("S") == DELETION_SK and DELETION_FIELD in raw for raw in member_items)
