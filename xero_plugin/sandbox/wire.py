"""Xero's wire formats: MS-JSON dates, 2/4-dp decimals, Python-repr booleans, JSON bodies.

Internally the sandbox keeps dates as ISO ``YYYY-MM-DD`` strings, instants as epoch
seconds (sandbox clock) and money as ``Decimal``; these helpers convert at the edge.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_CENT = Decimal("0.01")
_UNIT4 = Decimal("0.0001")


def ms_date(day: str | None) -> str | None:
    """ISO day ``2024-05-01`` -> ``/Date(1714521600000+0000)/``."""
    if not day:
        return None
    d = dt.date.fromisoformat(day)
    ms = int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
    return "/Date(%d+0000)/" % ms


def ms_instant(epoch: float) -> str:
    """Epoch seconds -> ``/Date(ms+0000)/`` (UpdatedDateUTC style)."""
    return "/Date(%d+0000)/" % int(epoch * 1000)


def envelope_instant(epoch: float) -> str:
    """Epoch seconds -> ``/Date(ms)/`` (the envelope's DateTimeUTC has no offset)."""
    return "/Date(%d)/" % int(epoch * 1000)


def day_string(day: str | None) -> str | None:
    """ISO day -> Xero's ``DateString`` form ``2019-03-11T00:00:00``."""
    return day + "T00:00:00" if day else None


def instant_string(epoch: float) -> str:
    """Epoch seconds -> ``2018-11-02T16:31:30Z``."""
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_no_zone(epoch: float) -> str:
    """Epoch seconds -> ``2019-12-07T18:46:19.5165400`` (Connections / webhook style)."""
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0")


def day_of(epoch: float) -> str:
    """The UTC calendar day of an instant, ISO."""
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).date().isoformat()


# Organisation.Timezone (the SPEC's TimeZone enum: Windows zone ids, upper-case, no spaces) -> IANA zone.
XERO_TIMEZONES = {
    "NEWZEALANDSTANDARDTIME": "Pacific/Auckland", "CHATHAMISLANDSSTANDARDTIME": "Pacific/Chatham",
    "AUSEASTERNSTANDARDTIME": "Australia/Sydney", "EAUSTRALIASTANDARDTIME": "Australia/Brisbane",
    "CENAUSTRALIASTANDARDTIME": "Australia/Adelaide", "AUSCENTRALSTANDARDTIME": "Australia/Darwin",
    "WAUSTRALIASTANDARDTIME": "Australia/Perth", "TASMANIASTANDARDTIME": "Australia/Hobart",
    "GMTSTANDARDTIME": "Europe/London", "UTC": "Etc/UTC", "WEUROPESTANDARDTIME": "Europe/Berlin",
    "ROMANCESTANDARDTIME": "Europe/Paris", "SINGAPORESTANDARDTIME": "Asia/Singapore",
    "SOUTHAFRICASTANDARDTIME": "Africa/Johannesburg", "EASTERNSTANDARDTIME": "America/New_York",
    "CENTRALSTANDARDTIME": "America/Chicago", "MOUNTAINSTANDARDTIME": "America/Denver",
    "PACIFICSTANDARDTIME": "America/Los_Angeles", "HAWAIIANSTANDARDTIME": "Pacific/Honolulu",
    "FIJISTANDARDTIME": "Pacific/Fiji",
}


def org_day(epoch: float, xero_timezone: str | None) -> str:
    """The calendar day of an instant in an organisation's timezone (Organisation.Timezone), ISO.

    Xero: "If the Date element is not specified it will default to the current date based on the
    timezone setting of the organisation" [SPEC Invoice.Date]. Unknown zones fall back to UTC.
    """
    name = XERO_TIMEZONES.get((xero_timezone or "").upper())
    try:
        from zoneinfo import ZoneInfo
        zone = ZoneInfo(name) if name else dt.timezone.utc
    except Exception:  # no tz database: UTC rather than a crash
        zone = dt.timezone.utc
    return dt.datetime.fromtimestamp(epoch, zone).date().isoformat()


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def lock_day(day: str) -> str:
    """ISO day -> Xero's ``30-Nov-2018`` (as in "... currently set at 30-Nov-2018"), locale-independent."""
    d = dt.date.fromisoformat(day)
    return "%02d-%s-%d" % (d.day, _MONTHS[d.month - 1], d.year)


def parse_day(value) -> str:
    """Accept ``/Date(ms[+hhmm])/``, ``2019-03-11`` or ``2021-10-18T00:00:00+11:00``; return ISO day.

    Raises ValueError for anything else.
    """
    if not isinstance(value, str):
        raise ValueError("not a date")
    m = _MS_DATE.match(value.strip())
    if m:
        ms = int(m.group(1))
        moment = dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)
        if m.group(2):
            sign = 1 if m.group(2)[0] == "+" else -1
            off = dt.timedelta(hours=int(m.group(2)[1:3]), minutes=int(m.group(2)[3:5]))
            moment = moment + sign * off
        return moment.date().isoformat()
    text = value.strip()
    if len(text) == 10:
        return dt.date.fromisoformat(text).isoformat()
    # A local date-time with an offset names that local day (Xero ignores the offset).
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()


def parse_instant(value: str) -> float:
    """Parse If-Modified-Since: ISO-8601 (naive = UTC) or RFC 1123. Returns epoch seconds."""
    text = value.strip()
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = parsedate_to_datetime(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp()


def parse_bool(value, default: bool | None = None) -> bool | None:
    """Query booleans arrive as ``True``/``False`` (xero-python) or ``true``/``false``."""
    if value is None or value == "":
        return default
    return str(value).strip().lower() in ("true", "1", "yes")


def to_decimal(value, default: Decimal | None = None) -> Decimal | None:
    """A JSON number or numeric string -> Decimal; ValueError when not numeric."""
    if value is None:
        return default
    if isinstance(value, bool):
        raise ValueError("boolean is not a number")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError("not a number: %r" % (value,)) from exc


def money(value: Decimal) -> Decimal:
    """Round to cents, half up (Xero rounds line and tax amounts to 2 dp)."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def unit(value: Decimal, unitdp: int) -> Decimal:
    """Round a unit amount to 2 dp, or 4 dp when the request said ``unitdp=4``."""
    return value.quantize(_UNIT4 if unitdp == 4 else _CENT, rounding=ROUND_HALF_UP)


def _json_default(obj):
    if isinstance(obj, Decimal):
        return float(obj)
    raise TypeError("not JSON serialisable: %r" % type(obj))


def dumps(obj) -> bytes:
    """Compact JSON bytes; Decimals become JSON numbers."""
    return json.dumps(obj, default=_json_default, separators=(",", ":")).encode()


def loads(body: bytes):
    """Parse a JSON body, keeping numbers exact (floats as Decimal)."""
    return json.loads(body, parse_float=Decimal)
