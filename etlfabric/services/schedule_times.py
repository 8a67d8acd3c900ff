"""When schedules fire: 5-field cron, intervals and one-off times, DST-correct (DESIGN.md §6).

`fire_times` is the one generator of fire times; the scheduler's leader (schedule_firing.py) and
the preview both go through it. Everything here is pure: no database, no clock.

Rules
- Cron is read on the schedule's local wall clock (an IANA zone). Fields, in order: minute, hour,
  day of month, month, day of week. Each is `*`, a number, a range `a-b`, a step (`*/n`, `a-b/n`,
  `a/n` = from a to the end), or a comma list of those; months and days of week also take names
  (jan..dec, sun..sat); 0 and 7 are both Sunday.
- Day of month and day of week: when both are restricted (neither starts with `*`), a day matches
  if either does, as in standard (Vixie) cron; otherwise a day must match both.
- Daylight saving time: a wall time that does not exist (the hour skipped in spring) fires once,
  read with the offset in force before the change: a daily 02:30 in Europe/Berlin fires at 03:30
  CEST (01:30 UTC) on the March change day. A wall time that happens twice (autumn) fires once, at
  its first occurrence (02:30 CEST, 00:30 UTC). Two wall times that name one instant fire once. So
  a daily 02:30 fires exactly once on both change days. (`datetime(..., tzinfo=zone, fold=0)`.)
- Monthly on day 29-31 (day of month is one number >= 29, day of week `*`): `short_months=skip`
  fires nothing in months without that day (plain cron); `last_day` fires on the month's last day.
- Interval: every `interval_seconds`, counted in absolute seconds from start_at, else from the
  creation time (`anchor`); the wall clock and DST do not move it.
- Once: at `run_at`. Startup: no times here (orchestration/firing.py fires it at platform start).
- start_at and end_at bound every kind (both inclusive). Fire times are whole seconds, in UTC.

The cron walk jumps month -> day -> hour -> minute through the allowed values only; just the days
on which the zone's offset changes are computed wall time by wall time (and sorted).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from calendar import monthrange
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from etlfabric.errors import Invalid
from etlfabric.models import ScheduleKind, ShortMonths

HORIZON_YEARS = 50  # a cron walk gives up this far ahead (e.g. 29 February needs 4 years per fire)
ONE_DAY = timedelta(days=1)
TINY = timedelta(microseconds=1)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name used in messages, lowest, highest, names for 0.. or 1..)
FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: number for number, name in enumerate(MONTHS, 1)}),
    ("day of week", 0, 7, {name: number for number, name in enumerate(WEEKDAYS)}),
)
MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class CronSpec:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # the day-of-month field starts with `*`
    any_weekday: bool  # the day-of-week field starts with `*`

    @property
    def single_day(self) -> int | None:
        """The one day of month of a monthly schedule (day of week `*`), else None."""
        if self.any_day or not self.any_weekday or len(self.days) != 1:
            return None
        return next(iter(self.days))


def _value(text: str, name: str, low: int, high: int, names: dict[str, int]) -> int:
    word = text.strip().lower()
    if word in names:
        return names[word]
    if not word.isdigit():
        raise Invalid("cron", f"The {name} field has '{text}', which is not a number or a name.")
    number = int(word)
    if not low <= number <= high:
        raise Invalid("cron", f"The {name} field has {number}; use {low} to {high}.")
    return number


def _field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise Invalid("cron", f"The {name} field has step '/{step_text}'; use /1 or more.")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, name, low, high, names), _value(last, name, low, high, names)
            if start > end:
                problem = f"The {name} field has the range '{base}', which runs backwards."
                raise Invalid("cron", problem)
        elif base:
            start = _value(base, name, low, high, names)
            end = high if slash else start
        else:
            raise Invalid("cron", f"The {name} field has an empty item in '{text}'.")
        values.update(range(start, end + 1, step))
    return values


def parse_cron(text: str | None, short_months: ShortMonths | str = ShortMonths.skip) -> CronSpec:
    """A checked 5-field cron expression; Invalid("cron", ...) names the field at fault."""
    parts = (text or "").split()
    if len(parts) != 5:
        raise Invalid(
            "cron",
            f"A cron expression has 5 fields (minute hour day-of-month month day-of-week); "
            f"this one has {len(parts)}.",
        )
    minutes, hours, days, months, weekdays = (
        _field(part, *field) for part, field in zip(parts, FIELDS, strict=True)
    )
    spec = CronSpec(
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        days=frozenset(days),
        months=frozenset(months),
        weekdays=frozenset(day % 7 for day in weekdays),
        any_day=parts[2].startswith("*"),
        any_weekday=parts[4].startswith("*"),
    )
    last_day = ShortMonths(short_months) is ShortMonths.last_day and spec.single_day
    possible = any(day <= MAX_DAYS[month - 1] for day in days for month in months)
    if spec.any_weekday and not last_day and not possible:
        raise Invalid("cron", "The day of month field never falls in the chosen months.")
    return spec


@dataclass(frozen=True)
class Timing:
    """What `fire_times` needs to know about a schedule."""

    kind: ScheduleKind
    cron: str | None = None
    interval_seconds: int | None = None
    run_at: datetime | None = None
    timezone: str = "UTC"
    start_at: datetime | None = None
    end_at: datetime | None = None
    short_months: ShortMonths = ShortMonths.skip
    anchor: datetime | None = None  # intervals count from start_at, else from this (creation)

    @classmethod
    def of(cls, schedule) -> Timing:
        return cls(
            kind=ScheduleKind(schedule.kind),
            cron=schedule.cron,
            interval_seconds=schedule.interval_seconds,
            run_at=schedule.run_at,
            timezone=schedule.timezone or "UTC",
            start_at=schedule.start_at,
            end_at=schedule.end_at,
            short_months=ShortMonths(schedule.short_months or ShortMonths.skip),
            anchor=schedule.created_at,
        )


def whole_second(moment: datetime) -> datetime:
    """Aware UTC, microseconds dropped: every stored time a fire time derives from."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place in fire times")
    return moment.astimezone(UTC).replace(microsecond=0)


def fire_times(timing: Timing, after: datetime) -> Iterator[datetime]:
    """Every fire time strictly after `after` (aware), ascending, each once, in UTC."""
    after = after.astimezone(UTC)
    if timing.start_at is not None:
        after = max(after, whole_second(timing.start_at) - TINY)
    kind = ScheduleKind(timing.kind)
    if kind is ScheduleKind.cron:
        times = _cron_times(
            parse_cron(timing.cron, timing.short_months),
            ZoneInfo(timing.timezone),
            ShortMonths(timing.short_months),
            after,
        )
    elif kind is ScheduleKind.interval:
        anchor = timing.start_at or timing.anchor or after
        times = _interval_times(whole_second(anchor), int(timing.interval_seconds or 0), after)
    elif kind is ScheduleKind.once and timing.run_at is not None:
        times = iter([whole_second(timing.run_at)] if whole_second(timing.run_at) > after else [])
    else:  # startup schedules have no times of their own
        times = iter(())
    end = None if timing.end_at is None else timing.end_at.astimezone(UTC)
    for moment in times:
        if end is not None and moment > end:
            return
        yield moment


def next_fire_times(timing: Timing, *, after: datetime, count: int = 1) -> list[datetime]:
    return list(islice(fire_times(timing, after), max(0, count)))


def next_fire_time(timing: Timing, *, after: datetime) -> datetime | None:
    return next(fire_times(timing, after), None)


def fire_times_between(
    timing: Timing, *, after: datetime, until: datetime, limit: int = 10_000
) -> list[datetime]:
    """Fire times in (after, until], at most `limit` (the earliest)."""
    found = []
    for moment in fire_times(timing, after):
        if moment > until or len(found) >= limit:
            break
        found.append(moment)
    return found


def last_fire_times(
    timing: Timing, *, after: datetime, until: datetime, count: int
) -> list[datetime]:
    """The last `count` fire times in (after, until], ascending, without walking the whole range:
    the window looked at doubles until it holds `count` times or reaches `after`."""
    if count <= 0 or until <= after:
        return []
    span = timedelta(seconds=max(60, (timing.interval_seconds or 0) * count)) * 2
    if ScheduleKind(timing.kind) is ScheduleKind.cron:
        span = ONE_DAY
    while True:
        low = max(after, until - span)
        kept: deque[datetime] = deque(maxlen=count)
        for moment in fire_times(timing, low):
            if moment > until:
                break
            kept.append(moment)
        if len(kept) == count or low == after:
            return list(kept)
        span *= 2


# --- intervals -----------------------------------------------------------------------------------


def _interval_times(anchor: datetime, seconds: int, after: datetime) -> Iterator[datetime]:
    if seconds < 1:
        return
    step = timedelta(seconds=seconds)
    number = 0 if after < anchor else (after - anchor) // step + 1
    while True:
        yield anchor + number * step
        number += 1


# --- cron ----------------------------------------------------------------------------------------


def _month_days(spec: CronSpec, year: int, month: int, short_months: ShortMonths) -> list[int]:
    length = monthrange(year, month)[1]
    single = spec.single_day
    if single is not None and single > length:
        return [length] if short_months is ShortMonths.last_day else []
    first_weekday = (date(year, month, 1).weekday() + 1) % 7  # 0 = Sunday
    either = not spec.any_day and not spec.any_weekday
    days = []
    for day in range(1, length + 1):
        on_day = day in spec.days
        on_weekday = (first_weekday + day - 1) % 7 in spec.weekdays
        if (on_day or on_weekday) if either else (on_day and on_weekday):
            days.append(day)
    return days


def _days(spec: CronSpec, short_months: ShortMonths, first: date) -> Iterator[date]:
    """The days that match, from `first` on, for HORIZON_YEARS."""
    for year in range(first.year, first.year + HORIZON_YEARS + 1):
        for month in sorted(spec.months):
            if (year, month) < (first.year, first.month):
                continue
            for day in _month_days(spec, year, month, short_months):
                if (year, month, day) >= (first.year, first.month, first.day):
                    yield date(year, month, day)


def _offsets(day: date, zone: ZoneInfo) -> set[timedelta]:
    """The zone's UTC offsets at the start and the end of `day` (both folds of each)."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    following = day + ONE_DAY
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    return {moment.replace(fold=fold).utcoffset() for moment in (start, end) for fold in (0, 1)}


def _instant(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """A wall time read the DST way (fold=0): a skipped time with the offset before the change,
    a repeated time at its first occurrence."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def _cron_times(
    spec: CronSpec, zone: ZoneInfo, short_months: ShortMonths, after: datetime
) -> Iterator[datetime]:
    # Instants of wall times from days with an offset change wait here until no later wall time
    # can map before them (a skipped wall time maps after the first wall times past the gap).
    pending: list[datetime] = []
    last: datetime | None = None

    def ready(limit: datetime | None) -> Iterator[datetime]:
        nonlocal last
        while pending and (limit is None or pending[0] <= limit):
            moment = heapq.heappop(pending)
            if moment > after and moment != last:
                last = moment
                yield moment

    first = after.astimezone(zone).date() - ONE_DAY  # a skipped time the day before may map later
    for day in _days(spec, short_months, first):
        offsets = _offsets(day, zone)
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        yield from ready(midnight - max(offsets) - TINY)
        if len(offsets) > 1:  # the offset changes today: every wall time on its own, then sort
            for hour in spec.hours:
                for minute in spec.minutes:
                    heapq.heappush(pending, _instant(day, hour, minute, zone))
            continue
        offset = offsets.pop()
        if midnight + ONE_DAY - offset <= after:  # the whole day is past
            continue
        wall_after = (after + offset).replace(tzinfo=None)
        hours: tuple[int, ...] = spec.hours
        if wall_after.date() == day:  # skip what is already past on the first day
            hours = hours[bisect_left(hours, wall_after.hour) :]
        for hour in hours:
            minutes: tuple[int, ...] = spec.minutes
            if wall_after.date() == day and hour == wall_after.hour:
                minutes = minutes[bisect_right(minutes, wall_after.minute) :]
            for minute in minutes:
                moment = midnight + timedelta(hours=hour, minutes=minute) - offset
                if moment <= after:
                    continue
                yield from ready(moment)
                if moment != last:
                    last = moment
                    yield moment
    yield from ready(None)
