"""Hypothesis profiles of the property-based suite.

``HYPOTHESIS_PROFILE`` picks one: ``ci`` (the default: a small example budget so the whole
suite stays fast on two cores) or ``fuzz`` (``tox -e fuzz``: many more examples, run by hand).
Every profile keeps a deadline per example, so a hang or a quadratic blow-up fails the test.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

_COMMON = {
    # Fixtures here are stateless helpers or per-test temp dirs reused safely across examples.
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "print_blob": True,
}
settings.register_profile(
    "ci", max_examples=30, deadline=timedelta(seconds=5), derandomize=False, **_COMMON
)
settings.register_profile("fuzz", max_examples=1500, deadline=timedelta(seconds=10), **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
