"""The local stage's settings, shared by every local command (the stack runner, ``tools.stack.seed``,
``tools.stack.run_job``): the flags naming the ports and endpoints, and the app's environment built from them.

Environment precedence: the ``local`` stage of ``.chalice/config.json``, then the endpoints built from the ports
given (so ``--port``/``--dynamodb-port``/... always win over the config file), then ``--env KEY=VALUE``. Dummy AWS
credentials are always set and the variables that could point boto3 at a real account removed: nothing here can
reach real AWS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path
from typing import Any

from tools import procs

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_PATH = REPO_ROOT / ".chalice" / "config.json"
REGION = "ap-east-1"
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# Variables that could point boto3 at a real account: always removed.
AWS_LEAKS = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE")

DEFAULT_PORTS = {"port": 8000, "dynamodb_port": 8100, "sqs_port": 8101, "wechat_port": 8102, "wechatpay_port": 8103,
                 "webhook_port": 8104}
# The running `make run` stack's WeChat Pay simulator test keys, as the app's WECHATPAY_* variables: local-only (under
# .local/, not in git), so that ``tools.stack.run_job`` processes reach the same simulator with the same keys.
WECHATPAY_ENV_FILE = REPO_ROOT / ".local" / "wechatpay-env.json"


def env_port(name: str, default: int) -> int:
    """A port from the environment variable ``name`` (``LOCAL_API_PORT``, ...), else ``default``."""
    raw = os.environ.get(name)
    return int(raw) if raw else default


def add_stack_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags every local tool shares (the stack itself, ``tools.stack.seed``, ``tools.stack.run_job``)."""
    parser.add_argument("--host", default=os.environ.get("LOCAL_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=env_port("LOCAL_API_PORT", 8000), help="API port (0: any free)")
    parser.add_argument("--dynamodb-port", type=int, default=env_port("LOCAL_DYNAMODB_PORT", 8100))
    parser.add_argument("--sqs-port", type=int, default=env_port("LOCAL_SQS_PORT", 8101))
    parser.add_argument("--wechat-port", type=int, default=env_port("LOCAL_WECHAT_PORT", 8102))
    parser.add_argument("--wechatpay-port", type=int, default=env_port("LOCAL_WECHATPAY_PORT", -1),
                        help="WeChat Pay simulator port (default: 8103 for a stack on port 8000, else any free one)")
    parser.add_argument("--webhook-port", type=int, default=env_port("LOCAL_WEBHOOK_PORT", -1),
                        help="webhook receiver port (default: 8104 for a stack on port 8000, else any free one)")
    parser.add_argument("--dynamodb-endpoint", help="use this DynamoDB instead of starting DynamoDB Local")
    parser.add_argument("--sqs-endpoint", help="use this SQS endpoint instead of starting moto's server")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra app environment")
    parser.add_argument("--ready-file", help="write the endpoints as JSON here once the stack is ready")
    parser.add_argument("--log-dir", default=str(REPO_ROOT / ".local" / "logs"))
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--no-pollers", action="store_true", help="do not feed SQS messages to the handlers")
    parser.add_argument("--no-wechat", action="store_true")
    return parser


def parse_args(argv: list[str] | None, parser: argparse.ArgumentParser) -> argparse.Namespace:
    """``parser`` (a command's own flags) with the shared ones; ports of 0 replaced by free ones."""
    args = add_stack_arguments(parser).parse_args(argv)
    if args.wechatpay_port < 0:  # stacks on other ports (tests start several at once) must not share 8103
        args.wechatpay_port = DEFAULT_PORTS["wechatpay_port"] if args.port == DEFAULT_PORTS["port"] else 0
    if args.webhook_port < 0:
        args.webhook_port = DEFAULT_PORTS["webhook_port"] if args.port == DEFAULT_PORTS["port"] else 0
    for name in DEFAULT_PORTS:
        if getattr(args, name) == 0:
            setattr(args, name, procs.free_port(args.host))
    return args


def local_env(args: argparse.Namespace) -> dict[str, str]:
    """The app's environment for the local stage (see the module docstring for the precedence)."""
    config = json.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    env: dict[str, str] = dict(config.get("environment_variables", {}))
    env.update(config.get("stages", {}).get("local", {}).get("environment_variables", {}))
    env.update(
        {
            "STAGE": "local",
            "DYNAMODB_ENDPOINT": args.dynamodb_endpoint or f"http://{args.host}:{args.dynamodb_port}",
            "SQS_ENDPOINT": args.sqs_endpoint or f"http://{args.host}:{args.sqs_port}",
            "WECHAT_API_BASE": f"http://{args.host}:{args.wechat_port}",
            "AWS_CHALICE_CLI_MODE": "true",  # what `chalice local` sets; Powertools' tracer stays off
            **DUMMY_AWS,
        }
    )
    if WECHATPAY_ENV_FILE.exists():  # a running stack's simulator keys (replaced when a stack starts)
        env.update(json.loads(WECHATPAY_ENV_FILE.read_text(encoding="utf-8")))
    for pair in args.env:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--env wants KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def apply_env(env: dict[str, str]) -> None:
    """Make ``env`` this process's environment for the app, and drop anything cached from before."""
    for key in AWS_LEAKS:
        os.environ.pop(key, None)
    os.environ.update(env)
    with contextlib.suppress(ImportError):
        from chalicelib.core.config import reset_settings

        reset_settings()
    with contextlib.suppress(ImportError):
        from chalicelib.core.dynamo.items import reset_connections

        reset_connections()


def boto_client(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=DUMMY_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_AWS["AWS_SECRET_ACCESS_KEY"],
    )
