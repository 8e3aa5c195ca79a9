"""The two CloudWatch dashboards of a stage, built from the packaged template and the app's own metric catalogue.

- ``member-portal-<stage>-service``: API traffic, errors and latency, the app's latency per route group (the area
  that owns the route: ``Latency_<area>``), Lambda errors, throttles and p90 duration per function, queue depths and
  oldest-message ages, the stream consumers' iterator age, DynamoDB capacity and throttles.
- ``member-portal-<stage>-business``: every metric of ``chalicelib.core.kpis.BUSINESS``.

The body is a ``Fn::Sub`` string: ``${Logical}`` names a function, queue or table of the same stack.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.areas import AREAS
from chalicelib.core.kpis import BUSINESS

NAMESPACE = "MemberPortal"
SERVICE = ["service", "member-portal"]
API = ["ApiName", "member-portal-${Stage}", "Stage", "api"]


def route_groups() -> list[str]:
    """The areas whose routes the middleware times (the package of each area's blueprints), and the core's."""
    groups = {module.split(".")[1] for area in AREAS for module in area.blueprints}
    return sorted(groups | {"core"})


def _widget(title: str, metrics: list[list[Any]], x: int, y: int, *, stat: str = "Sum", width: int = 12,
            height: int = 6, view: str = "timeSeries") -> dict[str, Any]:
    return {"type": "metric", "x": x, "y": y, "width": width, "height": height,
            "properties": {"title": title, "metrics": metrics, "stat": stat, "period": 300, "view": view,
                           "region": "${AWS::Region}"}}


def _query(title: str, query: str, x: int, y: int) -> dict[str, Any]:
    return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6,
            "properties": {"title": title, "period": 300, "region": "${AWS::Region}", "view": "timeSeries",
                           "metrics": [[{"expression": query, "label": title, "id": "q1"}]]}}


def service_widgets(template: dict[str, Any]) -> list[dict[str, Any]]:
    resources = template["Resources"]
    fns = sorted(n for n, r in resources.items() if r.get("Type") == "AWS::Serverless::Function")
    queues = sorted(n for n, r in resources.items() if r.get("Type") == "AWS::SQS::Queue")
    tables = sorted(n for n, r in resources.items() if r.get("Type") == "AWS::DynamoDB::Table")
    consumers = sorted(n for n in fns if any(e.get("Type") in ("DynamoDB", "Kinesis")
                                             for e in resources[n]["Properties"].get("Events", {}).values()))
    widgets = [
        _widget("API requests and errors", [["AWS/ApiGateway", m, *API] for m in ("Count", "4XXError", "5XXError")],
                0, 0),
        _widget("API latency (p50, p90, p99)", [["AWS/ApiGateway", "Latency", *API, {"stat": s}]
                                                 for s in ("p50", "p90", "p99")], 12, 0),
        _widget("Latency p90 per route group (ms)", [[NAMESPACE, f"Latency_{g}", *SERVICE] for g in route_groups()],
                0, 6, stat="p90", width=24),
        _widget("Lambda errors", [["AWS/Lambda", "Errors", "FunctionName", f"${{{f}}}"] for f in fns], 0, 12),
        _widget("Lambda throttles", [["AWS/Lambda", "Throttles", "FunctionName", f"${{{f}}}"] for f in fns], 12, 12),
        _widget("Lambda duration p90 (ms)", [["AWS/Lambda", "Duration", "FunctionName", f"${{{f}}}"] for f in fns],
                0, 18, stat="p90"),
        _widget("Lambda concurrency", [["AWS/Lambda", "ConcurrentExecutions", "FunctionName", f"${{{f}}}"]
                                       for f in fns], 12, 18, stat="Maximum"),
        _widget("Queue depth (visible messages)", [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName",
                                                    f"${{{q}.QueueName}}"] for q in queues], 0, 24, stat="Maximum"),
        _widget("Oldest message age (s)", [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName",
                                            f"${{{q}.QueueName}}"] for q in queues], 12, 24, stat="Maximum"),
        _widget("Stream iterator age (ms)", [["AWS/Lambda", "IteratorAge", "FunctionName", f"${{{f}}}"]
                                             for f in consumers], 0, 30, stat="Maximum"),
    ]
    for i, table in enumerate(tables):
        y = 30 + 6 * i
        widgets.append(_widget(f"DynamoDB {table} consumed capacity", [
            ["AWS/DynamoDB", m, "TableName", f"${{{table}}}"] for m in ("ConsumedReadCapacityUnits",
                                                                      "ConsumedWriteCapacityUnits")], 12, y))
        widgets.append(_query(f"DynamoDB {table} throttled requests",
                              f"SELECT SUM(ThrottledRequests) FROM SCHEMA(\"AWS/DynamoDB\", Operation, TableName) "
                              f"WHERE TableName = '${{{table}}}'", 0, y + 6))
    return widgets


def business_widgets() -> list[dict[str, Any]]:
    widgets = [_widget("Today at a glance", [[NAMESPACE, k.metric, *SERVICE, {"label": k.label, "stat": k.stat}]
                                             for k in BUSINESS], 0, 0, width=24, height=4, view="singleValue")]
    for i, kpi in enumerate(BUSINESS):
        widgets.append(_widget(kpi.label, [[NAMESPACE, kpi.metric, *SERVICE]], 12 * (i % 2), 4 + 6 * (i // 2),
                               stat=kpi.stat))
    return widgets


def _dashboard(suffix: str, widgets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": {"Fn::Sub": f"member-portal-${{Stage}}-{suffix}"},
        "DashboardBody": {"Fn::Sub": json.dumps({"widgets": widgets}, ensure_ascii=False)}}}


def build(template: dict[str, Any]) -> dict[str, Any]:
    """The dashboards' resources for ``template`` (its functions, queues and tables)."""
    return {"ServiceDashboard": _dashboard("service", service_widgets(template)),
            "BusinessDashboard": _dashboard("business", business_widgets())}
