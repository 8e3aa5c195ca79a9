"""The insights area's items in the personal-data registry (``core/personal_data.py``): none holds a member's data."""

from chalicelib.core.personal_data import Kind

REGISTRY = {
    "CounterItem": Kind(none="counters of a day, a month or the programme: no member in them"),
    "MarkerItem": Kind(none="a digest of a counted fact's identity and a TTL: nothing to read back"),
    "CloseItem": Kind(none="programme-wide figures of a month and the operator who asked"),
    "PassPartItem": Kind(none="partial sums of a scan message"),
    "ReconciliationItem": Kind(none="programme-wide figures of a day"),
    "AccountingItem": Kind(none="the operator's accounting settings"),
}
