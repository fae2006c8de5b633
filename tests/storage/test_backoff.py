"""StoreBackoff: a failed database is left alone for a while, on a clock the test drives."""

from __future__ import annotations

import pytest

from core.backoff import StoreBackoff


def test_a_failure_is_remembered_for_its_seconds_and_no_longer():
    backoff = StoreBackoff(seconds=30)
    assert backoff.should_try(now=1000.0)
    backoff.failed(now=1000.0)
    assert not backoff.should_try(now=1000.0)
    assert not backoff.should_try(now=1029.9)
    assert backoff.remaining(now=1010.0) == 20.0
    assert backoff.should_try(now=1030.0)
    assert backoff.remaining(now=1031.0) == 0.0


def test_a_new_failure_starts_the_wait_again_and_a_success_forgets_it():
    backoff = StoreBackoff(seconds=10)
    backoff.failed(now=0.0)
    backoff.failed(now=8.0)
    assert not backoff.should_try(now=12.0)
    assert backoff.should_try(now=18.0)
    backoff.failed(now=20.0)
    backoff.succeeded()
    assert backoff.should_try(now=20.5) and backoff.remaining(now=20.5) == 0.0


def test_a_negative_back_off_is_refused():
    with pytest.raises(ValueError, match="negative"):
        StoreBackoff(seconds=-1)
