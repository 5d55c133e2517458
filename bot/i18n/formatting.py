"""Numbers, durations, dates and lists in the current language's conventions (Babel's CLDR data)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.dates import format_timedelta
from babel.lists import format_list as _format_list
from babel.numbers import format_currency, format_decimal, format_percent
from babel.units import format_unit

from bot.i18n.core import current_language


def _locale() -> Locale:
    language = current_language()
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):  # a test's pseudo-locale: English conventions
        return Locale.parse("en")


def number(value: float | Decimal, *, decimals: int | None = None) -> str:
    """12345.5 → "12,345.5" (en), "12.345,5" (de), "12 345,5" (fr)."""
    if decimals is not None:
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=_locale())
    return format_decimal(value, locale=_locale())


def dollars(value: Decimal) -> str:
    """An amount in US dollars: "$18.52" (en), "18,52 $" (de); under a cent with two significant
    digits ("$0.0045"), so a small estimate is not shown as nothing."""
    if value == 0 or abs(value) >= Decimal("0.01"):
        return format_currency(value, "USD", locale=_locale())
    small = Decimal(f"{value:.2g}")
    return format_currency(small, "USD", locale=_locale(), decimal_quantization=False)


def percent(ratio: float) -> str:
    """0.75 → "75%" (en), "75 %" (de, fr), "75%" (ja)."""
    return format_percent(ratio, locale=_locale())


def duration(seconds: float) -> str:
    """A wait or a length, rounded up to whole seconds: "45 s", "2 min 5 s", "2 分 5 秒", "2 Min., 5 Sek."."""
    total = max(1, math.ceil(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    locale = _locale()
    if locale.language == "en":  # the unit symbols fishbot's English has always used
        return " ".join(f"{value} {unit}" for value, unit in ((hours, "h"), (minutes, "min"), (secs, "s"))
                        if value)
    parts = [format_unit(value, unit, length="short", locale=locale)
             for value, unit in ((hours, "duration-hour"), (minutes, "duration-minute"),
                                 (secs, "duration-second")) if value]
    try:
        return _format_list(parts, style="unit", locale=locale)
    except KeyError:  # some locales' CLDR data lacks the three-item unit pattern
        return _format_list(parts, locale=locale)


def day(value: date) -> str:
    return _format_date(value, format="medium", locale=_locale())


def relative(delta: timedelta) -> str:
    """How far away a moment is, rounded to its largest unit: "in 3 hours", "2 日前", "vor 2 Tagen"."""
    return format_timedelta(delta, add_direction=True, locale=_locale())


def moment(value: datetime) -> str:
    return _format_datetime(value, format="medium", locale=_locale())


def language_name(code: str) -> str | None:
    """A language's name in the current language ("ja" → "Japanese", "日本語", "Japanisch"), or None
    when CLDR doesn't know the code."""
    name = _locale().languages.get(code.replace("-", "_"))
    return name if isinstance(name, str) else None


def listing(items: list[str]) -> str:
    """["a", "b", "c"] → "a, b, and c" / "a、b、c" / "a, b und c"."""
    return _format_list(items, locale=_locale())
