"""Request and response models of ``chalicelib/identity/http/admin.py`` (imported on first use)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.http.models import Body, Out

StaffRole = Literal["agent", "supervisor", "admin", "auditor"]


class StaffIn(Body):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    password: str = Field(min_length=8, max_length=128)
    role: StaffRole


class StaffCreated(Out):
    staff_id: str


class StaffPatch(Body):
    role: StaffRole | None = None
    disabled: bool | None = None


class StaffPasswordIn(Body):
    password: str = Field(min_length=8, max_length=128)


class StaffOut(Out):
    staff_id: str
    username: str
    role: str
    disabled: bool
    created_at: str | None = None
    updated_at: str | None = None


class StaffPage(Out):
    items: list[StaffOut]
    next_cursor: str | None = None
