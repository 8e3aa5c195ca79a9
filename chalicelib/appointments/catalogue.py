"""Stores and their services, as operators configure them, read with one Query and cached in-process.

Every store and service is ``CONFIG#STORES`` / ``STORE#<id>`` or ``SERVICE#<store>#<service>``; the whole catalogue
is one Query, kept for ``CACHE_SECONDS`` (an operator's change is live everywhere within that time; the process that
made it sees it at once). A store or service this process does not know yet makes it read the catalogue again
(after one GetItem that finds it), so a store created a moment ago is bookable at once everywhere, and an unknown ID
costs one GetItem, never a reload.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from chalicelib.appointments import rules
from chalicelib.appointments.models import CONFIG_PK, SERVICE_PREFIX, STORE_PREFIX, StoreConfigItem
from chalicelib.appointments.rules import Service, Store
from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.table_cache import TableCache
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError

CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Catalogue:
    stores: dict[str, Store] = field(default_factory=dict)
    services: dict[tuple[str, str], Service] = field(default_factory=dict)

    def services_of(self, store_id: str) -> list[Service]:
        return [s for (st, _), s in self.services.items() if st == store_id]


def _load() -> Catalogue:
    client = shared_connection().client
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": CONFIG_PK}},
        "ConsistentRead": True,  # right after a miss found the item, the Query must see it too
    }
    stores: dict[str, Store] = {}
    services: dict[tuple[str, str], Service] = {}
    while True:
        page = client.query(**kwargs)
        for raw in page.get("Items", []):
            item = StoreConfigItem.from_raw_data(raw)
            if item.kind == "store":
                store = Store.from_data(item.data)
                stores[store.store_id] = store
            elif item.kind == "service":
                service = Service.from_data(item.data)
                services[(service.store_id, service.service_id)] = service
        start = page.get("LastEvaluatedKey")
        if not start:
            break
        kwargs["ExclusiveStartKey"] = start
    return Catalogue(stores, dict(sorted(services.items(), key=lambda kv: kv[1].service_id)))


_cache: TableCache[Catalogue] = TableCache(_load, CACHE_SECONDS)


def reset_cache() -> None:
    _cache.clear()


def current() -> Catalogue:
    return _cache.get()


def _reloaded_if_exists(sk: str) -> Catalogue | None:
    """The catalogue read again if ``sk`` exists (created since this process read it), else None: an unknown ID
    costs one GetItem, never a reload."""
    try:
        StoreConfigItem.get(CONFIG_PK, sk, consistent_read=True, attributes_to_get=["pk"])
    except StoreConfigItem.DoesNotExist:
        return None
    _cache.clear()
    return _cache.get()


def store(store_id: str) -> Store:
    """The store, or 404 ``not_found``."""
    found = current().stores.get(store_id)
    if found is None:
        fresh = _reloaded_if_exists(f"{STORE_PREFIX}{store_id}")
        found = fresh.stores.get(store_id) if fresh else None
    if found is None:
        raise AppError("not_found")
    return found


def service(store_id: str, service_id: str) -> tuple[Store, Service]:
    """The store and its service, or 404 ``not_found``."""
    catalogue = current()
    found_store, found_service = catalogue.stores.get(store_id), catalogue.services.get((store_id, service_id))
    if found_store is None or found_service is None:
        fresh = _reloaded_if_exists(f"{SERVICE_PREFIX}{store_id}#{service_id}")
        if fresh is not None:
            found_store, found_service = fresh.stores.get(store_id), fresh.services.get((store_id, service_id))
    if found_store is None or found_service is None:
        raise AppError("not_found")
    return found_store, found_service


# --- views ----------------------------------------------------------------------------------------------------------


def store_view(item: Store, catalogue: Catalogue) -> dict[str, Any]:
    return {
        "store_id": item.store_id, "name": item.name, "city": item.city, "address": item.address,
        "phone": item.phone, "opening_hours": [h.as_dict() for h in item.opening_hours],
        "closed_dates": sorted(d.isoformat() for d in item.closed_dates),
        "services": [s.service_id for s in catalogue.services_of(item.store_id)],
        "cancel_cutoff_minutes": item.cancel_cutoff_minutes,
    }


def service_view(item: Service) -> dict[str, Any]:
    return {
        "service_id": item.service_id, "store_id": item.store_id, "name": item.name,
        "duration_minutes": item.duration_minutes, "capacity": item.capacity,
        "tiers": list(item.tiers) if item.tiers else None, "buffer_minutes": item.buffer_minutes,
        "reserved_seats": item.reserved_seats,
    }


def list_stores(city: str | None) -> dict[str, Any]:
    catalogue = current()
    chosen = [s for s in catalogue.stores.values() if city is None or s.city == city]
    return {"items": [store_view(s, catalogue) for s in sorted(chosen, key=lambda s: s.store_id)], "next_cursor": None}


def list_services(store_id: str) -> dict[str, Any]:
    store(store_id)
    return {"items": [service_view(s) for s in current().services_of(store_id)], "next_cursor": None}


# --- operators ------------------------------------------------------------------------------------------------------


def new_store_id() -> str:
    return f"st_{secrets.token_hex(6)}"


def new_service_id() -> str:
    return f"sv_{secrets.token_hex(6)}"


def _invalid(field_name: str, issue: str) -> AppError:
    return AppError("validation_error", details=[{"field": field_name, "issue": issue}])


def _check_tiers(field_name: str, codes: Any) -> None:
    if not codes:
        return
    from chalicelib.points import public as points

    known = {t.code for t in points.current().tiers}
    unknown = sorted(set(codes) - known)
    if unknown:
        raise _invalid(field_name, f"unknown tiers: {unknown}")


def _put(sk: str, kind: str, data: dict[str, Any], staff_id: str) -> None:
    tx = Tx()
    tx.put("config", StoreConfigItem(pk=CONFIG_PK, sk=sk, kind=kind, data=data, created_at=clock.iso(),
                                     created_by=staff_id), StoreConfigItem.pk.does_not_exist())
    tx.commit()
    _cache.clear()


def create_store(data: dict[str, Any], staff_id: str, store_id: str | None = None) -> str:
    """``POST /v1/admin/stores``: the store's ID. Opening hours must open before they close."""
    for i, hours in enumerate(data["opening_hours"]):
        if hours["opens"] >= hours["closes"]:
            raise _invalid(f"opening_hours.{i}.closes", "must be after opens")
    _check_tiers("priority_tiers", data.get("priority_tiers"))
    _check_tiers("booking_days_by_tier", list(data.get("booking_days_by_tier") or ()))
    store_id = store_id or new_store_id()
    rules.Store.from_data({**data, "store_id": store_id})  # the stored form must read back
    _put(f"{STORE_PREFIX}{store_id}", "store", {**data, "store_id": store_id}, staff_id)
    return store_id


def create_service(store_id: str, data: dict[str, Any], staff_id: str, service_id: str | None = None) -> str:
    """``POST /v1/admin/stores/{store_id}/services``: the service's ID (404 for an unknown store)."""
    store(store_id)
    _check_tiers("tiers", data.get("tiers"))
    if int(data.get("reserved_seats") or 0) > int(data["capacity"]):
        raise _invalid("reserved_seats", "must not exceed capacity")
    service_id = service_id or new_service_id()
    full = {**data, "store_id": store_id, "service_id": service_id}
    rules.Service.from_data(full)
    _put(f"{SERVICE_PREFIX}{store_id}#{service_id}", "service", full, staff_id)
    return service_id


# --- the local stack's demo stores ----------------------------------------------------------------------------------

EVERY_DAY = [{"weekday": d, "opens": "10:00", "closes": "20:00"} for d in range(1, 8)]
SEED_STORES: tuple[tuple[str, dict[str, Any], tuple[tuple[str, dict[str, Any]], ...]], ...] = (
    ("st_sh_xujiahui", {"name": "徐家汇旗舰店", "city": "上海", "address": "上海市徐汇区虹桥路 1 号",
                        "phone": "021-64000001", "opening_hours": EVERY_DAY},
     (("sv_skin_check", {"name": "肌肤检测", "duration_minutes": 30, "capacity": 2}),
      ("sv_vip_consult", {"name": "VIP 专属咨询", "duration_minutes": 60, "capacity": 1,
                          "tiers": ["gold", "platinum"]}))),
    ("st_bj_sanlitun", {"name": "三里屯体验店", "city": "北京", "address": "北京市朝阳区三里屯路 19 号",
                        "phone": "010-64000002", "opening_hours": EVERY_DAY},
     (("sv_fitting", {"name": "试衣预约", "duration_minutes": 45, "capacity": 3, "buffer_minutes": 15,
                      "reserved_seats": 1}),
      ("sv_repair", {"name": "维修服务", "duration_minutes": 30, "capacity": 2}))),
)


def seed_defaults() -> None:
    """The local stack's demo stores (two stores, two services each, open every day 10:00-20:00); idempotent:
    fixed IDs, created only if absent."""
    for store_id, store_data, services in SEED_STORES:
        _if_absent(create_store, store_data, "seed", store_id=store_id)
        for service_id, data in services:
            _if_absent(create_service, store_id, data, "seed", service_id=service_id)


def _if_absent(create: Any, *args: Any, **kwargs: Any) -> None:
    try:
        create(*args, **kwargs)
    except TxCancelled as exc:
        if "config" not in exc.failed:
            raise
