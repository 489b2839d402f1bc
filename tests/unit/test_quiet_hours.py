from __future__ import annotations

from datetime import datetime

import pytest

from scheduler.subscriptions import after_quiet_hours
from tests.conftest import TZ


@pytest.mark.parametrize(
    ("hour", "expected"),
    [
        ((21, 59), (1, 21, 59)),  # before the quiet window: now
        ((22, 0), (2, 8, 0)),  # quiet: deferred to 08:00 next morning
        ((23, 30), (2, 8, 0)),
        ((0, 10), (1, 8, 0)),  # after midnight: 08:00 the same day
        ((7, 59), (1, 8, 0)),
        ((8, 0), (1, 8, 0)),  # the window has ended
    ],
)
def test_overnight_quiet_hours_defer_not_drop(hour, expected):
    moment = datetime(2020, 5, 1, *hour, tzinfo=TZ)
    day, h, m = expected
    expected_moment = datetime(2020, 5, day, h, m, tzinfo=TZ)
    assert after_quiet_hours(moment, "22:00", "08:00", TZ) == expected_moment


def test_daytime_quiet_window():
    moment = datetime(2020, 5, 1, 12, 30, tzinfo=TZ)
    assert after_quiet_hours(moment, "12:00", "14:00", TZ) == datetime(2020, 5, 1, 14, 0, tzinfo=TZ)
    assert after_quiet_hours(moment, "00:00", "00:00", TZ) == moment  # no quiet hours
