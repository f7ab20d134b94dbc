"""Periods per year of intraday bars (docs/metrics.md): which calendar day a bar falls
on, around midnight and across daylight-saving changes. Expected values are counted
by hand from the timestamps written out below."""

import pandas as pd

from fastbt.periods import infer_periods_per_year


def hourly(day: str, first_hour: int, last_hour: int) -> list[pd.Timestamp]:
    """Hourly timestamps on ``day`` from ``first_hour`` to ``last_hour`` inclusive."""
    start = pd.Timestamp(day)
    return [start + pd.Timedelta(hours=h) for h in range(first_hour, last_hour + 1)]


def test_a_bar_at_midnight_starts_the_new_day():
    # Mon 21:00-23:00 and Tue 00:00-04:00 run on without a gap; Wed 00:00-04:00.
    # Days: Mon 3 bars, Tue 5, Wed 5 -> median 5; weekdays only -> 252 x 5.
    # Counting the 00:00 bars with the day before would give Mon 4, Tue 5, Wed 4 -> 4.
    index = pd.DatetimeIndex(
        hourly("2024-01-08", 21, 23) + hourly("2024-01-09", 0, 4) + hourly("2024-01-10", 0, 4)
    )
    assert infer_periods_per_year(index) == 252.0 * 5


def test_each_day_is_counted_from_its_first_bar_to_its_last():
    # Days of 2, 6 and 3 bars (Mon, Tue, Wed) -> median 3 -> 252 x 3. Cutting each
    # day one bar early would count 1, 6 and 4 -> median 4.
    index = pd.DatetimeIndex(
        hourly("2024-01-08", 22, 23) + hourly("2024-01-09", 0, 5) + hourly("2024-01-10", 10, 12)
    )
    assert infer_periods_per_year(index) == 252.0 * 3


def test_weekday_sessions_are_not_weekend_bars():
    # Mon 2024-01-08 .. Fri 2024-01-12, 09:00-16:00 (8 bars a day): no Saturday or
    # Sunday bar at all -> 252 x 8. Shifting the weekday by one would put the
    # Friday bars (20%) on a weekend and give 365 x 8.
    days = pd.bdate_range("2024-01-08", "2024-01-12")
    index = pd.DatetimeIndex([t for day in days for t in hourly(str(day.date()), 9, 16)])
    assert infer_periods_per_year(index) == 252.0 * 8


def test_weekend_bars_of_a_seven_day_feed_count():
    # Sat 2024-01-13 and Sun 2024-01-14 are 2 of 7 days with 6 bars each -> 29% -> 365 x 6.
    days = pd.date_range("2024-01-08", "2024-01-21", freq="D")
    index = pd.DatetimeIndex([t for day in days for t in hourly(str(day.date()), 10, 15)])
    assert infer_periods_per_year(index) == 365.0 * 6


def test_days_are_local_across_a_daylight_saving_change():
    # New York evening session 18:00-23:00 (6 hourly bars), Mon-Fri, 2024-02-26 ..
    # 2024-03-29; clocks went forward on Sun 2024-03-10. In local time every weekday
    # has 6 bars and no bar is on a weekend -> 252 x 6. (Read as UTC days, the
    # Friday evenings would fall on Saturday and give 365.)
    days = pd.bdate_range("2024-02-26", "2024-03-29")
    local = pd.DatetimeIndex([t for day in days for t in hourly(str(day.date()), 18, 23)])
    index = local.tz_localize("America/New_York")
    # The clock change lies inside: an hour less elapsed than the wall clocks show.
    assert index[-1] - index[0] == pd.Timedelta(days=32, hours=4)
    assert infer_periods_per_year(index) == 252.0 * 6


def test_a_24_hour_feed_across_the_london_clock_change():
    # Hourly bars every hour from Thu 2024-03-28 00:00 to Wed 2024-04-03 23:00, London
    # time; Sun 2024-03-31 has 23 hours (01:00 does not exist). Local days: Thu..Sat
    # 24 bars, Sun 23, Mon..Wed 24 -> median 24. Sat and Sun are 47 of 167 bars -> 365.
    index = pd.date_range("2024-03-28 00:00", "2024-04-03 23:00", freq="h", tz="Europe/London")
    assert len(index) == 7 * 24 - 1
    assert infer_periods_per_year(index) == 365.0 * 24
