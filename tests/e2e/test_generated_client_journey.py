"""A client team's view: the Python client that openapi-python-client generates from the served document drives a
member's journey on the local stack, with no raw HTTP (the WeChat sign-in is the documented simulator's ``mock:``
code; the store's order comes through the integration API with the stack's local key).

Every call goes through the generated functions and models, so a field, status or header the document gets wrong
shows up as a parse error, an ``UnexpectedStatus`` or an answer of the wrong model here.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tools import contract

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

INTEGRATION_KEY = "local-integration-key"
PACKAGE = "generated_member_portal_client"


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("sdk")
    spec = contract.write(root / "openapi.json")
    out = subprocess.run(contract.python_client_command(spec, root / PACKAGE), env=contract.tool_env(),
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))


def op(name: str) -> Any:
    """One generated operation module, e.g. ``op("points.get_points")``."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def model(name: str) -> Any:
    module, _, cls = name.rpartition(".")
    return getattr(importlib.import_module(f"{PACKAGE}.models.{module}"), cls)


def test_a_generated_python_client_drives_a_member_journey(local_stack: str, sdk: ModuleType):
    public = sdk.Client(base_url=local_stack, raise_on_unexpected_status=True)
    tag = uuid.uuid4().hex[:12]

    signed_in = op("identity.miniprogram_login").sync_detailed(
        client=public, body=model("mini_program_login.MiniProgramLogin")(code=f"mock:sdk-{tag}"))
    assert signed_in.status_code == 200, signed_in.content
    tokens = signed_in.parsed
    assert tokens.access_token and tokens.customer_id
    member = sdk.AuthenticatedClient(base_url=local_stack, token=tokens.access_token,
                                     raise_on_unexpected_status=True)

    me = op("profile.get_me").sync_detailed(client=member)
    assert me.status_code == 200 and me.parsed.customer_id == tokens.customer_id
    assert me.parsed.points.balance == 0

    checked_in = op("points.check_in").sync_detailed(client=member)
    assert checked_in.status_code == 201, checked_in.content
    again = op("points.check_in").sync_detailed(client=member)
    assert again.status_code == 409 and again.parsed.error.code == "already_checked_in", again.content

    store = sdk.AuthenticatedClient(base_url=local_stack, token=INTEGRATION_KEY, prefix="",
                                    auth_header_name="X-Api-Key", raise_on_unexpected_status=True)
    order = model("order_body.OrderBody")(
        order_no=f"SDK-{tag}", customer=model("order_customer.OrderCustomer")(customer_id=tokens.customer_id),
        amount_fen=100_000, channel="store", paid_at=datetime.now(UTC))
    awarded = op("points.post_order").sync_detailed(client=store, body=order)
    assert awarded.status_code == 201 and awarded.parsed.points_awarded == 1_000, awarded.content

    points = op("points.get_points").sync_detailed(client=member)
    balance = points.parsed.balance
    assert points.status_code == 200 and balance > 1_000

    rewards = op("mall.list_rewards").sync_detailed(client=public, limit=100)
    assert rewards.status_code == 200
    coffee = next(r for r in rewards.parsed.items if r.reward_id == "rwd_local_coffee")
    key = uuid.uuid4().hex
    redeemed = op("mall.create_redemption").sync_detailed(
        client=member, body=model("redemption_in.RedemptionIn")(reward_id=coffee.reward_id), idempotency_key=key)
    assert redeemed.status_code == 201, redeemed.content
    assert redeemed.parsed.status == "completed" and redeemed.parsed.balance_after == balance - coffee.points_cost
    replayed = op("mall.create_redemption").sync_detailed(
        client=member, body=model("redemption_in.RedemptionIn")(reward_id=coffee.reward_id), idempotency_key=key)
    assert replayed.status_code == 201 and replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.parsed.redemption_id == redeemed.parsed.redemption_id

    mine = op("mall.list_my_redemptions").sync_detailed(client=member)
    assert [r.redemption_id for r in mine.parsed.items] == [redeemed.parsed.redemption_id]

    ledger = op("points.get_ledger").sync_detailed(client=member, limit=100)
    assert ledger.status_code == 200
    assert sum(e.delta for e in ledger.parsed.items) == balance - coffee.points_cost
    assert {e.kind for e in ledger.parsed.items} == {"check_in", "purchase", "redemption"}

    benefits = op("benefits.list_benefits").sync_detailed(client=member)
    assert benefits.status_code == 200

    events = op("events.list_events").sync_detailed(client=member)
    assert events.status_code == 200

    refused = op("profile.get_me").sync_detailed(
        client=sdk.AuthenticatedClient(base_url=local_stack, token="not-a-token"))
    assert refused.status_code == 401 and refused.parsed.error.code


def test_the_generated_client_exists_for_every_operation(sdk: ModuleType):
    """Each operation of the document has its generated function (none lost to a schema the generator refuses)."""
    doc = contract.document()
    operation_ids = {op_["operationId"] for path in doc["paths"].values() for op_ in path.values()
                     if isinstance(op_, dict) and "operationId" in op_}
    generated = {p.stem for p in Path(sdk.__file__).parent.joinpath("api").rglob("*.py") if p.stem != "__init__"}
    assert operation_ids <= generated, sorted(operation_ids - generated)
