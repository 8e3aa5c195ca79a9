"""Phones, codes and tokens never reach a log line."""

from __future__ import annotations

import io
import json
import logging

from chalicelib.core.observability import logger
from chalicelib.core.redaction import mask_phone, redact


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "138****5678"


def test_redact_nested_values_and_free_text():
    out = redact({"phone": "13812345678", "otp": "123456", "msg": "call 13812345678 now",
                  "nested": [{"refresh_token": "abc"}], "Authorization": "Bearer eyJa.eyJb.c"})
    assert out == {"phone": "138****5678", "otp": "[redacted]", "msg": "call 138****5678 now",
                   "nested": [{"refresh_token": "[redacted]"}], "Authorization": "[redacted]"}


def test_long_digit_runs_are_not_mistaken_for_phones():
    assert redact("order 2026112313812345678901") == "order 2026112313812345678901"


def test_the_logger_redacts_whatever_the_caller_passes():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    level = logger._logger.level
    logger._logger.setLevel(logging.INFO)  # whatever level another test module left behind
    logger._logger.addHandler(handler)
    try:
        logger.info("sent a code to 13912345678", extra={"code": "654321", "session_key": "abc"})
    finally:
        logger._logger.removeHandler(handler)
        logger._logger.setLevel(level)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["code"] == "[redacted]" and line["session_key"] == "[redacted]"
    assert line["message"] == "sent a code to 139****5678"
    assert "654321" not in stream.getvalue() and "13912345678" not in stream.getvalue()
