"""The browser tests' fixtures (the app on a free port, Chromium), for the benchmark's checks."""

from tests.browser.conftest import app_server  # noqa: F401  (a fixture, used by name)
