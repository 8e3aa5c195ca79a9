"""Puts the open audit scope's record into the request's first DynamoDB write, in the same transaction.

Installed on the process's one DynamoDB client (``core/dynamo/connection.py``), so every write path is covered
whatever made it (a ``Tx``, a pynamodb ``save``/``update``, a raw client call): one place for the rule. While a scope
is pending (``scope.pending``), the first PutItem, UpdateItem, DeleteItem, BatchWriteItem or TransactWriteItems of the
request is sent instead as one TransactWriteItems holding its own items plus the audit record and its chain head
(conditioned on the head's sequence number). The caller gets the answer its own call would have had: a failed
condition of its items comes back as ``ConditionalCheckFailedException`` (single writes) or as a
``TransactionCanceledException`` listing only its own items' reasons, so nothing above this module changes; when
only the head's condition failed (another record of the chain came first) the transaction is sent again on the new
head. If the write fails the scope stays pending, so no record exists without its action and the request's next
write may still carry it.

What it costs: one consistent GetItem of the head and two more items in a transaction (a single write becomes a
transaction: twice the write units); ``bench/`` measures it. Returned values a transaction cannot give are read
around it: ``ALL_NEW``/``UPDATED_NEW`` (pynamodb's ``update`` asks for them) by a consistent GetItem after the
commit, ``ALL_OLD`` before it.
"""

from __future__ import annotations

import random
import time
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError

from chalicelib.core import clock
from chalicelib.core.audit import chain, keys
from chalicelib.core.audit.scope import AuditScope, pending
from chalicelib.core.calendar import business_day
from chalicelib.core.observability import logger
from chalicelib.core.redaction import redact_text

WRITE_OPS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
_COMMON = ("TableName", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues",
           "ReturnValuesOnConditionCheckFailure")
_UNSUPPORTED = ("Expected", "AttributeUpdates", "ConditionalOperator")  # the legacy API: nobody here sends it
MAX_ITEMS = 100  # DynamoDB's limit on a transaction
HEAD_ATTEMPTS = 10
_ERROR_OF_REASON = {"ConditionalCheckFailed": "ConditionalCheckFailedException",
                    "TransactionConflict": "TransactionConflictException",
                    "ProvisionedThroughputExceeded": "ProvisionedThroughputExceededException",
                    "ThrottlingError": "ThrottlingException", "ValidationError": "ValidationException"}


def install(client: Any) -> None:
    """Register the hook on ``client`` (once per client)."""
    if getattr(client, "_audit_hook_installed", False):
        return
    events = client.meta.events
    for op in WRITE_OPS:
        events.register_first(f"provide-client-params.dynamodb.{op}", _capture)
        events.register_first(f"before-call.dynamodb.{op}", _make_intercept(client))
    client._audit_hook_installed = True


def _capture(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """Keep the call's parameters as the caller gave them (``before-call`` sees them serialised)."""
    if pending() is not None:
        context["audit_params"] = dict(params)


def _make_intercept(client: Any) -> Any:
    def intercept(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        params, scope = context.get("audit_params"), pending()
        if params is None or scope is None:
            return None
        items = _transact_items(model.name, params)
        if items is None or len(items) + 2 > MAX_ITEMS:
            logger.warning("staff write not audited in its transaction", extra={"operation": model.name})
            return None
        scope.busy = True
        try:
            return _send(client, scope, model.name, params, items)
        finally:
            scope.busy = False

    return intercept


def _transact_items(op: str, p: dict[str, Any]) -> list[dict[str, Any]] | None:
    if any(k in p for k in _UNSUPPORTED):
        return None
    common = {k: p[k] for k in _COMMON if k in p}
    if op == "PutItem":
        return [{"Put": {**common, "Item": p["Item"]}}]
    if op == "UpdateItem":
        if "UpdateExpression" not in p:
            return None
        return [{"Update": {**common, "Key": p["Key"], "UpdateExpression": p["UpdateExpression"]}}]
    if op == "DeleteItem":
        return [{"Delete": {**common, "Key": p["Key"]}}]
    if op == "TransactWriteItems":
        return list(p["TransactItems"])
    items: list[dict[str, Any]] = []  # BatchWriteItem
    for table, requests in p["RequestItems"].items():
        for req in requests:
            if "PutRequest" in req:
                items.append({"Put": {"TableName": table, "Item": req["PutRequest"]["Item"]}})
            else:
                items.append({"Delete": {"TableName": table, "Key": req["DeleteRequest"]["Key"]}})
    return items


def _key_text(item: dict[str, Any]) -> str:
    key = item.get("Key") or item.get("Item") or {}
    return redact_text(f"{key.get('pk', {}).get('S', '?')}|{key.get('sk', {}).get('S', '?')}")


def _writes(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What the action wrote: each item's operation and key (no attribute values: they may hold secrets)."""
    out = []
    for entry in items:
        (op, item), = entry.items()
        out.append({"op": {"ConditionCheck": "check"}.get(op, op.lower()), "key": _key_text(item)})
    return out


def _read(client: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    found: dict[str, Any] | None = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    return found


def audit_items(scope: AuditScope, table: str, head: dict[str, Any] | None,
                writes: list[dict[str, str]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The record's put and the head's conditional update, given the head as read (None: the chain's first)."""
    now = clock.now()
    day, shard = business_day(now).isoformat(), chain.shard_of(scope.actor)
    last = int(head["seq"]["N"]) if head else 0
    prev = head["hash"]["S"] if head else chain.genesis(day, shard)
    seq, at = last + 1, clock.iso(now)
    body = chain.canonical(scope.body(at, day, shard, seq, writes))
    digest = chain.record_hash(prev, body)
    pk = keys.day_pk(day)
    record: dict[str, Any] = {
        "pk": {"S": pk}, "sk": {"S": keys.record_sk(shard, seq)}, "seq": {"N": str(seq)}, "prev": {"S": prev},
        "hash": {"S": digest}, "body": {"S": body},
        "gsi1pk": {"S": keys.by_pk(scope.actor)}, "gsi1sk": {"S": f"{at}#{day}#{shard:02d}#{seq:010d}"},
    }
    if scope.member:
        record["gsi2pk"] = {"S": keys.of_pk(scope.member)}
        record["gsi2sk"] = {"S": f"{at}#{day}#{shard:02d}#{seq:010d}"}
    head_update: dict[str, Any] = {
        "TableName": table, "Key": {"pk": {"S": pk}, "sk": {"S": keys.head_sk(shard)}},
        "UpdateExpression": "SET #s = :seq, #h = :hash",
        "ExpressionAttributeNames": {"#s": "seq", "#h": "hash"},
        "ExpressionAttributeValues": {":seq": {"N": str(seq)}, ":hash": {"S": digest}},
    }
    if head:
        head_update["ConditionExpression"] = "#s = :last"
        head_update["ExpressionAttributeValues"][":last"] = {"N": str(last)}
    else:
        head_update["ConditionExpression"] = "attribute_not_exists(pk)"
    items = [
        {"Put": {"TableName": table, "Item": record, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": head_update},
    ]
    return items, {"day": day, "shard": shard, "seq": seq}


def _send(client: Any, scope: AuditScope, op: str, params: dict[str, Any],
          items: list[dict[str, Any]]) -> tuple[AWSResponse, dict[str, Any]]:
    table = params.get("TableName") or next(iter(params.get("RequestItems", {})), None) or \
        next(iter(items[0].values()))["TableName"]
    writes = _writes(items)
    old = None
    if op in ("PutItem", "DeleteItem", "UpdateItem") and params.get("ReturnValues") in ("ALL_OLD", "UPDATED_OLD"):
        old = _read(client, params["TableName"], params.get("Key") or _key_of(params["Item"]))
    extra = {"ReturnConsumedCapacity": params["ReturnConsumedCapacity"]} if "ReturnConsumedCapacity" in params else {}
    n = len(items)
    for attempt in range(HEAD_ATTEMPTS):
        head = _read(client, table, {"pk": {"S": keys.day_pk(business_day(clock.now()).isoformat())},
                                     "sk": {"S": keys.head_sk(chain.shard_of(scope.actor))}})
        audit, _where = audit_items(scope, table, head, writes)
        try:
            out = client.transact_write_items(TransactItems=items + audit, **extra)
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            own, theirs = reasons[:n], reasons[n:]
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException" and \
                    all(r.get("Code") in (None, "None") for r in own) and theirs:
                time.sleep(random.uniform(0.002, 0.02) * (attempt + 1))  # another record of the chain came first
                continue
            return _failure(op, exc, own)
        scope.written = True
        return _ok(), _success_body(client, op, params, out, old)
    return _failure(op, None, [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (n - 1))


def _key_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"pk": item["pk"], "sk": item["sk"]}


def _meta(status: int) -> dict[str, Any]:
    return {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}


def _ok() -> AWSResponse:
    return AWSResponse("", 200, HTTPHeaders(), None)


def _success_body(client: Any, op: str, params: dict[str, Any], out: dict[str, Any],
                  old: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"ResponseMetadata": _meta(200)}
    if "ConsumedCapacity" in out and "ReturnConsumedCapacity" in params:  # as the caller asked, once
        capacity = out["ConsumedCapacity"]
        if op == "TransactWriteItems":
            body["ConsumedCapacity"] = capacity
        else:
            body["ConsumedCapacity"] = {"TableName": params.get("TableName", ""),
                                        "CapacityUnits": sum(c.get("CapacityUnits", 0) for c in capacity)}
    if op == "BatchWriteItem":
        body["UnprocessedItems"] = {}
    returns = params.get("ReturnValues")
    if returns in ("ALL_OLD", "UPDATED_OLD") and old is not None:
        body["Attributes"] = old
    elif returns in ("ALL_NEW", "UPDATED_NEW"):
        new = _read(client, params["TableName"], params["Key"])
        if new is not None:
            body["Attributes"] = new
    return body


def _failure(op: str, exc: ClientError | None, own: list[dict[str, Any]]) -> tuple[AWSResponse, dict[str, Any]]:
    """The error the caller's own call would have had."""
    status = 400
    if op == "TransactWriteItems" or exc is None or not own:
        if exc is not None and not own:  # not a cancellation: a validation error, throttling...
            response = dict(exc.response)
            status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
            return AWSResponse("", status, HTTPHeaders(), None), response
        codes = [r.get("Code", "None") for r in own]
        parsed: dict[str, Any] = {"Error": {"Code": "TransactionCanceledException",
                                            "Message": f"Transaction cancelled, please refer cancellation reasons "
                                                       f"for specific reasons [{', '.join(codes)}]"},
                                  "CancellationReasons": own, "ResponseMetadata": _meta(400)}
        if op != "TransactWriteItems":  # a single write that lost on conflicts every time
            parsed["Error"]["Code"] = _ERROR_OF_REASON.get(codes[0], "TransactionConflictException")
        return AWSResponse("", 400, HTTPHeaders(), None), parsed
    failed = next((r for r in own if r.get("Code") not in (None, "None")), own[0])
    code = str(failed.get("Code"))
    parsed = {"Error": {"Code": _ERROR_OF_REASON.get(code, code), "Message": failed.get("Message") or code},
              "ResponseMetadata": _meta(400)}
    if "Item" in failed:
        parsed["Item"] = failed["Item"]
    return AWSResponse("", 400, HTTPHeaders(), None), parsed
