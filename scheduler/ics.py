"""A year's department dates as an iCalendar file (RFC 5545) that a contact can import into
a phone calendar: one all-day event per date, with a stable UID, so importing a newer file
updates the events instead of doubling them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

from bot.clock import Clock
from bot.render import Renderer, to_plain
from scheduler.agenda import Agenda, DutyDate

UID_DOMAIN = "skills-policy-assistant"
PRODID = "-//skills-policy-assistant//department schedule//ZH"


def agenda_ics(agenda: Agenda, renderer: Renderer, clock: Clock) -> bytes:
    """The agenda's dates as .ics bytes (UTF-8), stamped with the clock's now, named in its
    zone. An agenda with no dates has no file: the caller says why instead (RFC 5545 wants
    at least one component)."""
    if not agenda.dates:
        raise ValueError(f"no department dates in {agenda.year}")
    today, stamp = clock.today(), clock.now()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = _plain(renderer, "calendar_name", today, year=agenda.year)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", clock.zone.key)  # scheduler.timezone
    for duty in agenda.dates:
        calendar.add_component(_event(duty, agenda, renderer, today, stamp))
    return calendar.to_ical()


def _event(
    duty: DutyDate, agenda: Agenda, renderer: Renderer, today: date, stamp: datetime
) -> Event:
    event = Event()
    event.add("uid", f"{duty.key}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", duty.day)  # a date: an all-day event in any time zone
    event.add("dtend", duty.day + timedelta(days=1))
    event.add("summary", _plain(renderer, "summary", today, d=duty))
    send_at = agenda.send_at.strftime("%H:%M")
    event.add("description", _plain(renderer, "description", today, d=duty, send_at=send_at))
    event.add("categories", [str(duty.kind)])
    event.add("transp", "TRANSPARENT")  # a reminder, not a busy slot
    return event


def _plain(renderer: Renderer, template: str, today: date, **extra: object) -> str:
    return to_plain(renderer.render(f"schedule/{template}.j2", today, **extra))
