"""Request and response models of ``chalicelib/identity/staff_api.py`` (imported on first use)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.core.http.models import Body


class StaffLogin(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=128)
