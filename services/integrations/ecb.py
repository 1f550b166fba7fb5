"""The ECB's euro reference rates: the daily file and the last 90 days, fetched over HTTP and parsed.

The files are static XML under one base URL (`eurofxref-daily.xml`, `eurofxref-hist-90d.xml`): an envelope in
the gesmes namespace holding three levels of `Cube` in the eurofxref namespace (all days, one day with `time`,
one rate with `currency` and `rate`: units of that currency per one euro). The currency list changes over the
years, so it is not written down here: the caller says which codes it knows, and the others are reported.

A DOCTYPE is refused before parsing (the real files never carry one; entity tricks need one). A failure to reach
the server, a server error or anything that is not this XML ends in a `FeedError` with one sentence to show.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import httpx

FILES = {'daily': 'eurofxref-daily.xml', '90d': 'eurofxref-hist-90d.xml'}
GESMES = 'http://www.gesmes.org/xml/2002-08-01'
EUROFXREF = 'http://www.ecb.int/vocabulary/2002-08-01/eurofxref'
NOT_ITS_XML = 'The ECB feed answered with something that is not its XML.'
_CUBE = f'{{{EUROFXREF}}}Cube'


class FeedError(Exception):
    """The feed could not be had or read; the message is one sentence for the person or the job's errors."""


@dataclass(frozen=True)
class DayRates:
    """One published day: units of each currency per one euro."""

    day: date
    rates: dict[str, Decimal]


@dataclass(frozen=True)
class Feed:
    """The days of one file, newest first, and the currency codes it held that the caller does not know."""

    days: list[DayRates]
    unknown: tuple[str, ...]


class EcbClient:
    """Fetches one feed at a time; a failed attempt (no connection, a 5xx, a timeout) is tried once more."""

    def __init__(self, base_url: str, *, timeout_seconds: float = 15.0, backoff_seconds: float = 1.0) -> None:
        self.base_url = base_url.rstrip('/')
        self.timeout_seconds = timeout_seconds
        self.backoff_seconds = backoff_seconds

    def fetch(self, feed: str, known: Collection[str]) -> Feed:
        """The parsed file `feed` ('daily' or '90d'), keeping only the currencies in `known`."""
        if feed not in FILES:
            raise ValueError(f'Unknown ECB feed "{feed}"; use one of {", ".join(FILES)}.')
        return parse(self._get(f'{self.base_url}/{FILES[feed]}'), known)

    def _get(self, url: str) -> bytes:
        with httpx.Client(timeout=self.timeout_seconds, headers={'Accept': 'application/xml, text/xml'}) as http:
            for attempt in range(2):
                try:
                    response = http.get(url)
                except httpx.TimeoutException:
                    reason = f'no answer within {self.timeout_seconds:g} s'
                except httpx.TransportError as error:
                    reason = 'connection refused' if 'refused' in str(error).lower() else 'no connection'
                else:
                    if response.is_success:
                        return response.content
                    reason = f'it answered {response.status_code} {response.reason_phrase}'.rstrip()
                    if response.status_code < 500:
                        break
                if attempt == 0:
                    time.sleep(self.backoff_seconds)
        raise FeedError(f'The ECB feed could not be reached: {reason}.')


def parse(content: bytes, known: Collection[str]) -> Feed:
    """The days in an ECB reference-rate file; FeedError when it is not one (or carries a DOCTYPE)."""
    if b'<!DOCTYPE' in content.upper() or b'<!ENTITY' in content.upper():
        raise FeedError(NOT_ITS_XML)
    try:
        root = ET.fromstring(content)
    except ET.ParseError:
        raise FeedError(NOT_ITS_XML) from None
    outer = root.find(_CUBE) if root.tag == f'{{{GESMES}}}Envelope' else None
    if outer is None:
        raise FeedError(NOT_ITS_XML)
    unknown: set[str] = set()
    days = [_day(cube, known, unknown) for cube in outer.findall(_CUBE)]
    if not days:
        raise FeedError(NOT_ITS_XML)
    days.sort(key=lambda found: found.day, reverse=True)
    return Feed(days=days, unknown=tuple(sorted(unknown)))


def _day(cube: ET.Element, known: Collection[str], unknown: set[str]) -> DayRates:
    """One `time` cube's rates; a day, code or rate that does not read is the whole file's fault."""
    try:
        day = date.fromisoformat(cube.attrib['time'])
        rates: dict[str, Decimal] = {}
        for leaf in cube.findall(_CUBE):
            code, rate = leaf.attrib['currency'].strip().upper(), Decimal(leaf.attrib['rate'])
            if not rate.is_finite() or rate <= 0 or len(code) != 3:
                raise ValueError(code)
            if code in known:
                rates[code] = rate
            else:
                unknown.add(code)
    except (KeyError, ValueError, InvalidOperation):
        raise FeedError(NOT_ITS_XML) from None
    return DayRates(day=day, rates=rates)
