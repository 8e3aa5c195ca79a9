"""The deployed stages' configuration: staff with the admin or supervisor role sign in with a second factor."""

from __future__ import annotations

import json
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[3] / ".chalice" / "config.json"


def test_deployed_stages_require_staff_mfa():
    stages = json.loads(CONFIG.read_text())["stages"]
    deployed = [name for name in stages if name != "local"]
    assert deployed, "no deployed stage"
    for name in deployed:
        value = stages[name].get("environment_variables", {}).get("STAFF_MFA_REQUIRED", "")
        assert value.lower() in ("1", "true", "yes", "on"), f"{name} lets admins and supervisors in without TOTP"
