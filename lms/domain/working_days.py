"""Working days (Monday to Friday, less holidays) in the programme's time zone: turnaround and due dates."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo


class WorkingCalendar:
    """Monday to Friday in one time zone, minus a list of holidays."""

    def __init__(self, timezone: str = "Indian/Mauritius", holidays: Iterable[date | str] = ()):
        self.zone = ZoneInfo(timezone)
        self.holidays = frozenset(d if isinstance(d, date) else date.fromisoformat(str(d)) for d in holidays)

    def local_date(self, moment: datetime) -> date:
        """The calendar date of an aware moment in the programme's time zone."""
        return moment.astimezone(self.zone).date()

    def next_midnight(self, moment: datetime) -> datetime:
        """The start of the local day after ``moment`` (when every age in working days may change)."""
        following = self.local_date(moment) + timedelta(days=1)
        return datetime(following.year, following.month, following.day, tzinfo=self.zone)

    def is_working_day(self, day: date) -> bool:
        """True for a weekday that is not a holiday."""
        return day.weekday() < 5 and day not in self.holidays

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Whole working days after the day of ``start`` up to and including the day of ``end``.

        Submitted on Monday and looked at on Tuesday: 1. Anything on the same day, or before: 0.
        """
        first, last = self.local_date(start), self.local_date(end)
        if last <= first:
            return 0
        count, day = 0, first + timedelta(days=1)
        # Whole weeks at once, so that an item waiting a year costs no more than one waiting a week.
        while (last - day).days >= 7:
            count += 5 - sum(1 for h in self.holidays if day <= h < day + timedelta(days=7) and h.weekday() < 5)
            day += timedelta(days=7)
        while day <= last:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    def add_working_days(self, start: datetime, days: int) -> date:
        """The date ``days`` working days after the day of ``start`` (the due date of a target)."""
        day = self.local_date(start)
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            remaining -= self.is_working_day(day)
        return day

    def overdue_before(self, now: datetime, target_days: int) -> datetime:
        """The moment (UTC) before which anything submitted is more than ``target_days`` working days old at
        ``now``: ``working_days_between(t, now) > target_days`` exactly when ``t`` is earlier. For SQL filters."""
        day, count = self.local_date(now), 0
        while count <= target_days:
            count += self.is_working_day(day)
            day -= timedelta(days=1)
        # Now `count` working days lie after `day` up to today: `day` is the latest overdue date.
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.zone).astimezone(timezone.utc)
