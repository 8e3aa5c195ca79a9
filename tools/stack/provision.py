"""Create the tables and queues of ``infra/resources.json`` against any endpoint.

The template is the one source of the key schema, indexes, TTL and queue attributes: what tests and the
local stack create is what AWS gets. Works against DynamoDB Local, moto's server and moto in-process
(``mock_aws``): pass boto3 clients made for the target.

Names: a table's ``TableName`` may be an ``Fn::Sub`` over ``${Stage}`` (and the pseudo parameters);
``suffix`` is appended to every name so tests can make many fresh tables side by side, and ``names``
maps a logical id to an explicit name. Queues created with ``local=True`` take the attributes under the
resource's ``Metadata.Local`` (a short visibility timeout and receive count, so a failing message reaches
its dead-letter queue within seconds); ``deadLetterTargetArn`` is resolved to the queue created here.

CLI: ``python -m tools.stack.provision --dynamodb-endpoint http://127.0.0.1:8100 --sqs-endpoint http://127.0.0.1:8101``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "infra" / "resources.json"

# CloudFormation AWS::SQS::Queue properties that are SQS queue attributes of the same name.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
)


@dataclass(frozen=True)
class QueueInfo:
    logical_id: str
    name: str
    url: str
    arn: str


@dataclass
class Provisioned:
    """What ``provision`` made: logical id -> table name, logical id -> queue."""

    tables: dict[str, str] = field(default_factory=dict)
    queues: dict[str, QueueInfo] = field(default_factory=dict)


def load_template(path: str | Path | None = None) -> dict[str, Any]:
    with open(path or TEMPLATE_PATH, encoding="utf-8") as f:
        return dict(json.load(f))


def resources_of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == type_name
    }


def resolve(value: Any, variables: dict[str, str]) -> str:
    """Resolve a plain string, ``Ref`` to a known variable or ``Fn::Sub`` string against ``variables``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value and value["Ref"] in variables:
        return variables[value["Ref"]]
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables:
                raise ValueError(f"cannot resolve ${{{name}}} in {value['Fn::Sub']!r}")
            return variables[name]

        return re.sub(r"\$\{([^}!]+)\}", substitute, value["Fn::Sub"])
    raise ValueError(f"cannot resolve {value!r} outside CloudFormation")


def _variables(stage: str, region: str) -> dict[str, str]:
    return {
        "Stage": stage,
        "AWS::Region": region,
        "AWS::Partition": "aws",
        "AWS::AccountId": "123456789012",
        "AWS::StackName": f"member-portal-{stage}",
        "AWS::URLSuffix": "amazonaws.com",
    }


def _name(logical_id: str, raw: Any, variables: dict[str, str], suffix: str, names: dict[str, str] | None) -> str:
    if names and logical_id in names:
        return names[logical_id]
    return resolve(raw, variables) + suffix


# --------------------------------------------------------------------------------------------- tables


def table_specs(
    template: dict[str, Any] | None = None,
    *,
    stage: str = "local",
    region: str = "ap-east-1",
    suffix: str = "",
    names: dict[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Logical id -> ``{"create": create_table kwargs, "ttl": attribute name or None}``."""
    template = template or load_template()
    variables = _variables(stage, region)
    specs: dict[str, dict[str, Any]] = {}
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        create: dict[str, Any] = {
            "TableName": _name(logical_id, props["TableName"], variables, suffix, names),
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if create["BillingMode"] == "PROVISIONED":
            create["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        indexes = props.get("GlobalSecondaryIndexes")
        if indexes:
            keys = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
            create["GlobalSecondaryIndexes"] = [{key: index[key] for key in keys if key in index} for index in indexes]
        stream = props.get("StreamSpecification")
        if stream:  # the notification dispatcher reads it (DynamoDB Local serves streams too)
            create["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        ttl = props.get("TimeToLiveSpecification") or {}
        specs[logical_id] = {"create": create, "ttl": ttl.get("AttributeName") if ttl.get("Enabled") else None}
    return specs


def create_tables(
    client: Any,
    template: dict[str, Any] | None = None,
    *,
    stage: str = "local",
    suffix: str = "",
    names: dict[str, str] | None = None,
    exist_ok: bool = True,
    timeout: float = 30.0,
) -> dict[str, str]:
    """Create every table of the template with ``client`` (a boto3 DynamoDB client); logical id -> name."""
    specs = table_specs(template, stage=stage, region=client.meta.region_name, suffix=suffix, names=names)
    created: dict[str, str] = {}
    for logical_id, spec in specs.items():
        table_name = spec["create"]["TableName"]
        try:
            client.create_table(**spec["create"])
        except client.exceptions.ResourceInUseException:
            if not exist_ok:
                raise
        _wait_active(client, table_name, timeout)
        if spec["ttl"]:
            _enable_ttl(client, table_name, spec["ttl"])
        created[logical_id] = table_name
    return created


def _wait_active(client: Any, table_name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        table = client.describe_table(TableName=table_name)["Table"]
        indexes = table.get("GlobalSecondaryIndexes", [])
        if table["TableStatus"] == "ACTIVE" and all(i.get("IndexStatus", "ACTIVE") == "ACTIVE" for i in indexes):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {table_name} not ACTIVE after {timeout} s")
        time.sleep(0.05)


def _enable_ttl(client: Any, table_name: str, attribute: str) -> None:
    current = client.describe_time_to_live(TableName=table_name).get("TimeToLiveDescription", {})
    if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and current.get("AttributeName") == attribute:
        return
    client.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
    )


def delete_tables(client: Any, table_names: list[str] | dict[str, str]) -> None:
    """Best-effort delete (tests clean up after themselves so DynamoDB Local's memory stays small)."""
    for name in table_names.values() if isinstance(table_names, dict) else table_names:
        with contextlib.suppress(client.exceptions.ResourceNotFoundException):
            client.delete_table(TableName=name)


# --------------------------------------------------------------------------------------------- queues


def _queue_order(queues: dict[str, dict[str, Any]]) -> list[str]:
    """Dead-letter targets before the queues that point at them."""
    ordered: list[str] = []

    def visit(logical_id: str, trail: tuple[str, ...] = ()) -> None:
        if logical_id in ordered:
            return
        if logical_id in trail:
            raise ValueError(f"redrive cycle through {logical_id}")
        target = _redrive_target(queues[logical_id])
        if target:
            visit(target, (*trail, logical_id))
        ordered.append(logical_id)

    for logical_id in queues:
        visit(logical_id)
    return ordered


def _redrive_target(resource: dict[str, Any]) -> str | None:
    policy = resource.get("Properties", {}).get("RedrivePolicy")
    if not policy:
        return None
    arn = policy["deadLetterTargetArn"]
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        return str(arn["Fn::GetAtt"][0])
    raise ValueError(f"RedrivePolicy target must be Fn::GetAtt of a queue in the template, got {arn!r}")


def queue_attributes(
    resource: dict[str, Any], *, dead_letter_arn: str | None = None, local: bool = True
) -> dict[str, str]:
    """SQS attributes (strings) for one template queue; ``local`` applies ``Metadata.Local``."""
    props = resource.get("Properties", {})
    overrides = resource.get("Metadata", {}).get("Local", {}) if local else {}
    attributes = {key: props[key] for key in _QUEUE_ATTRIBUTES if key in props}
    attributes.update({key: value for key, value in overrides.items() if key in _QUEUE_ATTRIBUTES})
    policy = props.get("RedrivePolicy")
    if policy:
        if dead_letter_arn is None:
            raise ValueError("dead_letter_arn is needed for a queue with a RedrivePolicy")
        max_receive = overrides.get("MaxReceiveCount", policy.get("maxReceiveCount", 5))
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": int(max_receive)}
        )
    return {key: _attr(value) for key, value in attributes.items()}


def _attr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def create_queues(
    client: Any,
    template: dict[str, Any] | None = None,
    *,
    suffix: str = "",
    names: dict[str, str] | None = None,
    local: bool = True,
) -> dict[str, QueueInfo]:
    """Create every queue of the template with ``client`` (a boto3 SQS client); logical id -> queue."""
    template = template or load_template()
    queues = resources_of_type(template, "AWS::SQS::Queue")
    variables = _variables("local", client.meta.region_name)
    created: dict[str, QueueInfo] = {}
    for logical_id in _queue_order(queues):
        resource = queues[logical_id]
        raw_name = resource.get("Properties", {}).get("QueueName", logical_id)
        name = _name(logical_id, raw_name, variables, suffix, names)
        target = _redrive_target(resource)
        attributes = queue_attributes(resource, dead_letter_arn=created[target].arn if target else None, local=local)
        try:
            url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        except client.exceptions.QueueNameExists:  # same name, other attributes: bring it in line
            url = client.get_queue_url(QueueName=name)["QueueUrl"]
            client.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        created[logical_id] = QueueInfo(logical_id=logical_id, name=name, url=url, arn=arn)
    return created


def delete_queues(client: Any, queues: dict[str, QueueInfo]) -> None:
    for queue in queues.values():
        with contextlib.suppress(client.exceptions.QueueDoesNotExist):
            client.delete_queue(QueueUrl=queue.url)


def provision(
    *,
    dynamodb: Any = None,
    sqs: Any = None,
    template: dict[str, Any] | None = None,
    stage: str = "local",
    suffix: str = "",
    table_names: dict[str, str] | None = None,
    queue_names: dict[str, str] | None = None,
    local: bool = True,
) -> Provisioned:
    """Create the template's tables (with ``dynamodb``) and queues (with ``sqs``); either may be None."""
    template = template or load_template()
    result = Provisioned()
    if dynamodb is not None:
        result.tables = create_tables(dynamodb, template, stage=stage, suffix=suffix, names=table_names)
    if sqs is not None:
        result.queues = create_queues(sqs, template, suffix=suffix, names=queue_names, local=local)
    return result


def main(argv: list[str] | None = None) -> None:
    import boto3

    parser = argparse.ArgumentParser(prog="python -m tools.stack.provision", description=__doc__.split("\n")[0])
    parser.add_argument("--dynamodb-endpoint", help="e.g. http://127.0.0.1:8100 (omit to skip tables)")
    parser.add_argument("--sqs-endpoint", help="e.g. http://127.0.0.1:8101 (omit to skip queues)")
    parser.add_argument("--stage", default="local")
    parser.add_argument("--suffix", default="")
    parser.add_argument("--region", default="ap-east-1")
    parser.add_argument("--aws-attributes", action="store_true", help="use the template's AWS queue attributes")
    args = parser.parse_args(argv)
    if not (args.dynamodb_endpoint or args.sqs_endpoint):
        parser.error("give --dynamodb-endpoint and/or --sqs-endpoint (this tool never talks to real AWS)")
    creds = {"region_name": args.region, "aws_access_key_id": "local", "aws_secret_access_key": "local"}
    ddb_url, sqs_url = args.dynamodb_endpoint, args.sqs_endpoint
    dynamodb = boto3.client("dynamodb", endpoint_url=ddb_url, **creds) if ddb_url else None
    sqs = boto3.client("sqs", endpoint_url=sqs_url, **creds) if sqs_url else None
    result = provision(
        dynamodb=dynamodb,
        sqs=sqs,
        stage=args.stage,
        suffix=args.suffix,
        local=not args.aws_attributes,
    )
    for logical_id, name in result.tables.items():
        print(f"table {logical_id}: {name}")
    for logical_id, queue in result.queues.items():
        print(f"queue {logical_id}: {queue.url}")


if __name__ == "__main__":
    main()
