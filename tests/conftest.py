"""Shared test configuration: Hypothesis profiles.

``ci`` (chosen when the environment variable ``CI`` is set) runs more examples without a deadline
(CI machines are slow and noisy); ``dev`` (the default) runs few examples so that the whole suite
stays fast on a laptop; ``thorough`` is for hunting bugs by hand. ``HYPOTHESIS_PROFILE`` picks a
profile by name and overrides both.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "dev",
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


def pytest_addoption(parser) -> None:  # type: ignore[no-untyped-def]
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*.csv from the current model (then review the diff)",
    )
