"""The browser tests' fixtures (the app on a free port, Chromium), for the benchmark's checks."""

from tests.browser.conftest import app_server, browser, page  # noqa: F401  (fixtures, used by name)
