"""Working days in the programme's time zone: ages in the queue and due dates (plain Python, no app)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from lms.domain.working_days import WorkingCalendar

MU = WorkingCalendar("Indian/Mauritius")


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def test_weekends_do_not_count():
    friday = utc(2026, 11, 20, 9)   # a Friday
    monday = utc(2026, 11, 23, 9)
    assert MU.working_days_between(friday, monday) == 1
    assert MU.working_days_between(friday, utc(2026, 11, 27, 9)) == 5  # the next Friday
    assert MU.working_days_between(monday, friday) == 0  # never negative


def test_days_are_counted_in_the_programme_time_zone():
    # 21:00 UTC on Monday is already 01:00 on Tuesday in Mauritius (UTC+4).
    monday_late = utc(2026, 11, 23, 21)
    assert MU.local_date(monday_late) == date(2026, 11, 24)
    assert MU.working_days_between(utc(2026, 11, 23, 8), monday_late) == 1
    assert WorkingCalendar("UTC").working_days_between(utc(2026, 11, 23, 8), monday_late) == 0


def test_holidays_do_not_count_and_push_the_due_date():
    cal = WorkingCalendar("Indian/Mauritius", holidays=["2026-11-02"])  # a Monday holiday
    friday = utc(2026, 10, 30, 6)
    assert cal.working_days_between(friday, utc(2026, 11, 3, 6)) == 1
    assert cal.add_working_days(friday, 5) == date(2026, 11, 9)
    assert MU.add_working_days(friday, 5) == date(2026, 11, 6)


def test_long_waits_count_whole_weeks_with_their_holidays():
    cal = WorkingCalendar("Indian/Mauritius", holidays=["2026-03-12", "2026-03-14"])  # Thursday; a Saturday
    start = utc(2026, 1, 5, 6)  # a Monday
    end = utc(2026, 12, 28, 6)  # a Monday, 51 weeks later
    assert MU.working_days_between(start, end) == 51 * 5
    assert cal.working_days_between(start, end) == 51 * 5 - 1


def test_the_overdue_moment_agrees_with_the_working_day_count_around_weekends_and_holidays():
    cal = WorkingCalendar("Indian/Mauritius", holidays=["2026-11-02"])
    now = utc(2026, 11, 6, 10)  # a Friday
    cutoff = cal.overdue_before(now, 5)
    # From Thursday 29 October, 5 working days have passed (30 Oct, 3-6 Nov; the Monday holiday does not
    # count): not overdue yet; from Wednesday 28 October, 6: overdue. The cutoff is Thursday's start in
    # Mauritius (20:00 UTC on Wednesday).
    assert cutoff == utc(2026, 10, 28, 20)
    for hours_back in range(0, 24 * 20, 5):
        moment = now - timedelta(hours=hours_back)
        assert (moment < cutoff) == (cal.working_days_between(moment, now) > 5), moment
