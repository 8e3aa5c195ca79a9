"""The console's browser tests: Debian's chromium (``make deps`` installs it) driven by Playwright.

Playwright's own browser download cannot work in the sandbox, so the browser is ``/usr/bin/chromium`` with the
flags a sandboxed root machine needs. A missing browser fails the tests (never skips them). Every page a test
opens records its console errors and uncaught exceptions; the page's fixture fails the test if there were any,
except the browser's own "Failed to load resource" line for an API refusal the test asked for (``allow``).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

CHROMIUM = os.environ.get("CONSOLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1280, "height": 800}
ZOOMED = {"width": 640, "height": 400}  # 1280x800 at 200 % zoom: CSS pixels halve
FAILED_LOAD = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})")


def launch(playwright: Any) -> Any:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"{CHROMIUM} not found: `make deps` installs Debian's chromium", pytrace=False)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watched:
    """A page and what went wrong on it."""

    page: Any
    label: str
    errors: list[str] = field(default_factory=list)
    allowed: set[int] = field(default_factory=set)

    def allow(self, *statuses: int) -> None:
        """API answers with these statuses are expected (a refusal the test provokes)."""
        self.allowed.update(statuses)

    def problems(self) -> list[str]:
        out = []
        for text in self.errors:
            match = FAILED_LOAD.match(text)
            if match and int(match.group(1)) in self.allowed:
                continue
            out.append(text)
        return out


@pytest.fixture
def open_console(browser: Any, local_stack: Any) -> Iterator[Callable[..., Watched]]:
    """``open_console(label, locale="zh-CN", zoom=1, timezone_id=None)``: a fresh browser context (its own session
    storage) on the console, at 1280x800 (``zoom=2``: as that screen at 200 %), in the machine's time zone or
    ``timezone_id``'s."""
    opened: list[tuple[Any, Watched]] = []

    def open_one(label: str, locale: str = "zh-CN", zoom: int = 1, timezone_id: str | None = None) -> Watched:
        context = browser.new_context(viewport=ZOOMED if zoom == 2 else VIEWPORT, device_scale_factor=zoom,
                                      locale=locale, timezone_id=timezone_id)
        context.set_default_timeout(20_000)
        page = context.new_page()
        watched = Watched(page, label)
        page.on("console", lambda msg: watched.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: watched.errors.append(f"uncaught: {exc}"))
        page.goto(f"{local_stack}/console/")
        opened.append((context, watched))
        return watched

    yield open_one
    problems = {w.label: w.problems() for _, w in opened if w.problems()}
    for context, _ in opened:
        context.close()
    assert problems == {}, f"console errors on the console's pages: {problems}"
