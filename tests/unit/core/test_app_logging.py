"""Chalice must not take over our JSON logger: it shares the app's name ("member-portal").

Chalice configures a logger named after the app unless ``configure_logs=False``: it sets it to ERROR,
stops propagation and adds a plain-text handler whenever ``sys.stdout`` is not the stream our handler
holds (as under pytest, or any runner that swaps stdout). INFO lines would then vanish.
"""

from __future__ import annotations

import contextlib
import io
import logging

from chalicelib.core.observability import SERVICE, RedactingFormatter


def test_building_the_app_leaves_the_service_logger_alone():
    import app

    log = logging.getLogger(SERVICE)
    before = (log.level, list(log.handlers), log.propagate)
    with contextlib.redirect_stdout(io.StringIO()):
        app.MemberPortalApp(app_name=app.app.app_name, configure_logs=app.app.configure_logs)
    assert (log.level, list(log.handlers), log.propagate) == before
    assert log.getEffectiveLevel() <= logging.INFO
    assert all(isinstance(h.formatter, RedactingFormatter) for h in log.handlers)
