"""Fire times (services/schedule_times.py): cron, DST, short months, intervals, one-offs; checked
against a brute-force walk over every wall-clock minute of two years, for random expressions."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from etlfabric.errors import Invalid
from etlfabric.services.schedule_forms import describe, form_to_cron
from etlfabric.services.schedule_times import (
    HORIZON_YEARS,
    Timing,
    fire_times_between,
    last_fire_times,
    next_fire_times,
    parse_cron,
)

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]
WINDOW_START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2027, 1, 1, tzinfo=UTC)
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def cron(expression, zone="UTC", **options):
    return Timing(kind="cron", cron=expression, timezone=zone, **options)


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


# --- daylight saving time -----------------------------------------------------------------------


def test_berlin_0230_fires_exactly_once_on_both_change_days():
    times = fire_times_between(
        cron("30 2 * * *", "Europe/Berlin"), after=utc(2025, 3, 29), until=utc(2025, 3, 31, 12)
    )
    # 29 March 02:30 CET; 30 March 02:30 does not exist: 03:30 CEST; 31 March 02:30 CEST
    assert times == [utc(2025, 3, 29, 1, 30), utc(2025, 3, 30, 1, 30), utc(2025, 3, 31, 0, 30)]
    local = [t.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d %H:%M %Z") for t in times]
    assert local == ["29 02:30 CET", "30 03:30 CEST", "31 02:30 CEST"]

    times = fire_times_between(
        cron("30 2 * * *", "Europe/Berlin"), after=utc(2025, 10, 25), until=utc(2025, 10, 27, 12)
    )
    # 26 October 02:30 happens twice (CEST, then CET): it fires at the first one only
    assert times == [utc(2025, 10, 25, 0, 30), utc(2025, 10, 26, 0, 30), utc(2025, 10, 27, 1, 30)]


def test_wall_times_that_name_one_instant_fire_once():
    # On the spring change day 02:00-02:59 are read with CET, so 02:xx and 03:xx coincide.
    times = fire_times_between(
        cron("0 2,3 * * *", "Europe/Berlin"), after=utc(2025, 3, 29, 12), until=utc(2025, 3, 30, 23)
    )
    assert times == [utc(2025, 3, 30, 1, 0)]


def test_lord_howe_half_hour_shift():
    zone = "Australia/Lord_Howe"  # +10:30 → +11 at 02:00 on 5 October 2025 (02:00-02:29 skipped)
    times = fire_times_between(
        cron("15 2 * * *", zone), after=utc(2025, 10, 3, 12), until=utc(2025, 10, 5, 12)
    )
    assert [t.astimezone(ZoneInfo(zone)).strftime("%d %H:%M") for t in times] == [
        "04 02:15",
        "05 02:45",
    ]


# --- cron syntax ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "field"),
    [
        ("60 * * * *", "minute"),
        ("*/0 * * * *", "minute"),
        ("a * * * *", "minute"),
        ("* 24 * * *", "hour"),
        ("* 5-2 * * *", "hour"),
        ("* * 0 * *", "day of month"),
        ("* * 32 * *", "day of month"),
        ("* * * 13 *", "month"),
        ("* * * foo *", "month"),
        ("* * * * 8", "day of week"),
        ("* * * * funday", "day of week"),
        ("0 0 30 2 *", "day of month"),
        ("1,,2 * * * *", "minute"),
    ],
)
def test_an_invalid_expression_names_its_field(expression, field):
    with pytest.raises(Invalid) as caught:
        parse_cron(expression)
    assert caught.value.field == "cron"
    assert field in caught.value.message
    others = {"minute", "hour", "day of month", "month", "day of week"} - {field}
    assert not any(f"The {other} field" in caught.value.message for other in others)


@pytest.mark.parametrize("expression", ["", "* * * *", "* * * * * *"])
def test_an_expression_has_five_fields(expression):
    with pytest.raises(Invalid, match="5 fields"):
        parse_cron(expression)


def test_names_ranges_steps_and_sunday_as_seven():
    spec = parse_cron("5/20 9-17/4 1,15 jan-mar,dec mon-fri,7")
    assert spec.minutes == (5, 25, 45)
    assert spec.hours == (9, 13, 17)
    assert spec.days == {1, 15}
    assert spec.months == {1, 2, 3, 12}
    assert spec.weekdays == {0, 1, 2, 3, 4, 5}


def test_day_of_month_or_day_of_week_when_both_are_restricted():
    times = next_fire_times(cron("0 12 13 * fri"), after=utc(2026, 2, 1), count=4)
    # the 13th, or any Friday
    assert [t.date() for t in times] == [date(2026, 2, 6), date(2026, 2, 13), date(2026, 2, 20)] + [
        date(2026, 2, 27)
    ]
    # a `*`-led field means "both": odd days that are Fridays
    times = next_fire_times(cron("0 12 */2 * fri"), after=utc(2026, 2, 1), count=2)
    assert [t.date() for t in times] == [date(2026, 2, 13), date(2026, 2, 27)]


def test_short_months_skip_or_last_day():
    skip = next_fire_times(cron("0 6 31 * *"), after=utc(2026, 1, 1), count=4)
    assert [t.date() for t in skip] == [date(2026, m, 31) for m in (1, 3, 5, 7)]
    last = next_fire_times(cron("0 6 31 * *", short_months="last_day"), after=utc(2026, 1, 1))
    last += next_fire_times(
        cron("0 6 31 * *", short_months="last_day"), after=utc(2026, 1, 31, 7), count=3
    )
    assert [t.date() for t in last] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    leap = next_fire_times(
        cron("0 6 30 2 *", short_months="last_day"), after=utc(2027, 12, 1), count=2
    )
    assert [t.date() for t in leap] == [date(2028, 2, 29), date(2029, 2, 28)]


# --- intervals, once, bounds --------------------------------------------------------------------


def test_interval_counts_seconds_from_its_anchor_across_dst():
    timing = Timing(
        kind="interval", interval_seconds=3600, timezone="Europe/Berlin", anchor=utc(2025, 3, 30)
    )
    times = next_fire_times(timing, after=utc(2025, 3, 30, 0, 30), count=3)
    assert times == [utc(2025, 3, 30, 1), utc(2025, 3, 30, 2), utc(2025, 3, 30, 3)]
    starts = Timing(kind="interval", interval_seconds=90, start_at=utc(2026, 1, 1, 0, 0, 0, 700))
    assert next_fire_times(starts, after=utc(2025, 1, 1), count=2) == [
        utc(2026, 1, 1),
        utc(2026, 1, 1, 0, 1, 30),
    ]


def test_once_and_the_start_and_end_bounds():
    once = Timing(kind="once", run_at=utc(2026, 5, 1, 8))
    assert next_fire_times(once, after=utc(2026, 1, 1), count=3) == [utc(2026, 5, 1, 8)]
    assert next_fire_times(once, after=utc(2026, 5, 1, 8), count=3) == []
    bounded = cron("0 8 * * *", start_at=utc(2026, 1, 10, 8), end_at=utc(2026, 1, 12, 8))
    assert next_fire_times(bounded, after=utc(2026, 1, 1), count=5) == [
        utc(2026, 1, 10, 8),
        utc(2026, 1, 11, 8),
        utc(2026, 1, 12, 8),
    ]
    assert next_fire_times(Timing(kind="startup"), after=utc(2026, 1, 1)) == []


def test_last_fire_times_without_walking_the_whole_range():
    every_minute = cron("* * * * *")
    got = last_fire_times(
        every_minute, after=utc(2020, 1, 1), until=utc(2026, 1, 1, 0, 1, 30), count=3
    )
    assert got == [utc(2025, 12, 31, 23, 59), utc(2026, 1, 1, 0, 0), utc(2026, 1, 1, 0, 1)]
    yearly = cron("0 0 1 1 *")
    assert last_fire_times(yearly, after=utc(2020, 6, 1), until=utc(2026, 6, 1), count=2) == [
        utc(2025, 1, 1),
        utc(2026, 1, 1),
    ]
    second = Timing(kind="interval", interval_seconds=1, anchor=utc(2000, 1, 1))
    assert last_fire_times(second, after=utc(2000, 1, 1), until=utc(2026, 1, 1), count=2) == [
        utc(2025, 12, 31, 23, 59, 59),
        utc(2026, 1, 1),
    ]


# --- words and simple forms -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timing", "text"),
    [
        (cron("30 7 * * 1-5", "Europe/Lisbon"), "Every weekday at 07:30 (Europe/Lisbon)"),
        (Timing(kind="interval", interval_seconds=900), "Every 15 minutes"),
        (cron("*/15 * * * *"), "Every 15 minutes"),
        (
            cron("0 6 31 * *", short_months="last_day"),
            "Monthly on day 31 (last day in shorter months) at 06:00 (UTC)",
        ),
        (cron("0 9 * * mon,fri"), "Every Monday and Friday at 09:00 (UTC)"),
        (cron("0 6,18 * * *"), "Every day at 06:00 and 18:00 (UTC)"),
        (Timing(kind="startup"), "At every platform start"),
    ],
)
def test_plain_language(timing, text):
    assert describe(timing) == text


def test_simple_forms_make_cron():
    assert form_to_cron({"type": "daily", "time": "07:30"})[0] == "30 7 * * *"
    assert form_to_cron({"type": "weekly", "days": ["fri", "mon"], "time": "7:05"})[0] == (
        "5 7 * * 1,5"
    )
    assert form_to_cron(
        {"type": "monthly", "day": 31, "time": "06:00", "short_months": "last_day"}
    ) == ("0 6 31 * *", "last_day")
    with pytest.raises(Invalid, match="time"):
        form_to_cron({"type": "daily", "time": "25:00"})
    with pytest.raises(Invalid, match="days"):
        form_to_cron({"type": "weekly", "days": [], "time": "07:00"})


# --- property: the walk against brute force -------------------------------------------------------


def _items(low, high, names=None, max_step=None):
    """(cron text, values) of one list item; names spell some numbers."""
    number = st.integers(low, high)

    def spelled(value):
        return names[value - low] if names and value - low < len(names) else str(value)

    single = number.map(lambda v: (spelled(v), {v}))
    span = st.tuples(number, number).map(lambda p: tuple(sorted(p)))
    ranged = span.map(lambda p: (f"{spelled(p[0])}-{spelled(p[1])}", set(range(p[0], p[1] + 1))))
    step = st.integers(2, max_step or high)
    stepped = st.tuples(span, step).map(
        lambda p: (f"{p[0][0]}-{p[0][1]}/{p[1]}", set(range(p[0][0], p[0][1] + 1, p[1])))
    )
    return st.one_of(single, ranged, stepped)


def _field(low, high, names=None, star=True, max_items=3, max_step=None):
    listed = st.lists(_items(low, high, names, max_step), min_size=1, max_size=max_items).map(
        lambda items: (",".join(text for text, _ in items), set().union(*(v for _, v in items)))
    )
    if not star:
        return listed
    stepped_star = st.integers(2, high).map(lambda n: (f"*/{n}", set(range(low, high + 1, n))))
    return st.one_of(st.just(("*", set(range(low, high + 1)))), stepped_star, listed)


# Minutes stay sparse (at most two a hour) so two years of fires stay quick to compare.
minute_field = st.lists(st.integers(0, 59), min_size=1, max_size=2, unique=True).map(
    lambda ms: (",".join(map(str, ms)), set(ms))
)
expressions = st.tuples(
    minute_field,
    _field(0, 23),
    _field(1, 31),
    _field(1, 12, MONTHS),
    _field(0, 7, DAYS, max_step=3),
)


def brute_force(fields, zone_name, start, end):
    """Every wall-clock minute from a day before `start` to a day after `end` that the fields
    match, each read with fold=0 (the DST rule), as a sorted set of UTC instants in (start, end]."""
    (m_text, minutes), (_, hours), (dom_text, days), (_, months), (dow_text, weekdays) = fields
    weekdays = {day % 7 for day in weekdays}
    either = not dom_text.startswith("*") and not dow_text.startswith("*")
    zone = ZoneInfo(zone_name)
    minute_of_day = [(h, m) for h in range(24) for m in range(60) if h in hours and m in minutes]
    day = start.astimezone(zone).date() - timedelta(days=2)
    last = end.astimezone(zone).date() + timedelta(days=2)
    found = set()
    while day <= last:
        on_day, on_weekday = day.day in days, (day.weekday() + 1) % 7 in weekdays
        if day.month in months and ((on_day or on_weekday) if either else on_day and on_weekday):
            for hour, minute in minute_of_day:
                moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                moment = moment.astimezone(UTC)
                if start < moment <= end:
                    found.add(moment)
        day += timedelta(days=1)
    return sorted(found)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(fields=expressions, zone=st.sampled_from(ZONES), probe=st.integers(0, 10_000))
@example(
    fields=(("30", {30}), ("2", {2}), ("*", set(range(1, 32))), ("*", set(range(1, 13))))
    + (("*", set(range(8))),),
    zone="Europe/Berlin",
    probe=5,
)
@example(
    fields=(("0,45", {0, 45}), ("1-3", {1, 2, 3}), ("*", set(range(1, 32))))
    + (("*", set(range(1, 13))), ("*", set(range(8)))),
    zone="Australia/Lord_Howe",
    probe=77,
)
def test_cron_matches_brute_force_over_two_years(fields, zone, probe):
    expression = " ".join(text for text, _ in fields)
    try:
        timing = cron(expression, zone)
        parse_cron(expression)
    except Invalid:  # only "never matches" is refused, and then brute force finds nothing too
        assert brute_force(fields, zone, WINDOW_START, WINDOW_END) == []
        return
    expected = brute_force(fields, zone, WINDOW_START, WINDOW_END)
    got = fire_times_between(timing, after=WINDOW_START, until=WINDOW_END, limit=10**6)
    assert got == expected, expression
    if expected:  # and from any point in between: the same continuation
        at = probe % len(expected)
        following = next_fire_times(timing, after=expected[at], count=5)
        assert [t for t in following if t <= WINDOW_END] == expected[at + 1 : at + 6]
        just_before = expected[at] - timedelta(seconds=1)
        assert next_fire_times(timing, after=just_before, count=1) == [expected[at]]


SPARSE = ["* * * * *", "0 0 29 2 *", "59 23 31 12 *", "*/5 1-3 * * *"]


@pytest.mark.parametrize("expression", SPARSE)
def test_fifty_fire_times_come_in_order_in_every_zone(expression):
    """Sparse expressions (29 February, New Year's Eve) too: 50 of them, or all there are within
    HORIZON_YEARS (how fast the search is, the firing benchmark measures)."""
    after = utc(2025, 3, 29, 23)
    for zone in ZONES:
        times = next_fire_times(cron(expression, zone), after=after, count=50)
        horizon = after.replace(year=after.year + HORIZON_YEARS)
        assert len(times) == 50 or times[-1] > horizon.replace(year=horizon.year - 4), times
        assert times[0] > after
        assert all(a < b for a, b in zip(times, times[1:], strict=False)), (expression, zone)
