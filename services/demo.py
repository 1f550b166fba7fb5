"""Realistic demo data: users of every role, places, suppliers, batches, FX rates, and watches with their
purchases, stage history and photos, drawn from the curated reference table; the watches that sold come with
their sale on Catawiki or Tradera, its fees and the commissions it earned, so the finance screens have a
business to show.

The same seed on the same day gives the same rows: one `random.Random(seed)` draws every row in a fixed
order, and only the dates are anchored to today (so "added this week" shows something); the placeholder
photos come from a fixed seed of their own, so all runs share one pool of files. Rows go in through
SQLAlchemy Core in chunks with precomputed primary keys, so 80,000 watches load in well under a minute on
SQLite. A second run adds to the first: it reuses users, places and suppliers, continues SKU and batch
numbers, and extends the ledger's hash chain.
"""

from __future__ import annotations

import io
import itertools
import math
import random
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from PIL import Image, ImageDraw, ImageFont
from sqlmodel import Session

from config import get_settings
from db.accounts import User
from db.contacts import Contact
from db.engine import session_scope
from db.enums import BatchStatus, CommissionBasis, ContactKind, Gender, LocationKind, Role, TransactionType
from db.inventory import SkuCounter, Watch, WatchImage
from db.ledger import CommissionRule, FxRate, Transaction
from db.places import Batch, Location
from db.sales import Sale
from db.types import utcnow
from db.workflow import Stage, StageEvent
from services import audit, commissions, grading, ledger, maintenance, media_store, reference, sku
from services.errors import ValidationFailed
from services.permissions import SYSTEM

Progress = Callable[[str, int, int], None]

T = TransactionType
DEMO_PASSWORD = 'vintage-demo-2026'
DEMO_DOMAIN = 'demo.secondvintage.local'
CHUNK = 4000
MAX_WATCHES = 1_000_000
HISTORY_DAYS = 730
CENT = Decimal('0.01')
PHOTO_SIZE = 1200
# The placeholder photos are the same for every seed, so the media directory holds one pool however often
# and with whichever seed the demo is loaded.
PHOTO_POOL_SEED = 1969

# --- people and places -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Country:
    """What makes a generated person or firm from one country look like they come from there."""

    code: str
    first: tuple[str, ...]
    last: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]  # (city, postal code template: # digit, @ letter)
    streets: tuple[str, ...]
    address: str
    phone: str
    vat: str
    firms: tuple[str, ...]


# fmt: off
_DE_FIRST = ('Lukas', 'Anna', 'Felix', 'Lena', 'Jonas', 'Katrin', 'Matthias', 'Julia', 'Stefan', 'Sabine', 'Tobias',
             'Claudia', 'Florian', 'Petra', 'Andreas', 'Monika')
_DE_LAST = ('Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann', 'Schäfer',
            'Koch', 'Richter', 'Klein', 'Wolf', 'Neumann', 'Zimmermann')
COUNTRIES = {
    'SE': _Country(
        'SE',
        ('Anna', 'Erik', 'Lars', 'Karin', 'Johan', 'Maria', 'Anders', 'Eva', 'Per', 'Sofia', 'Magnus', 'Ingrid',
         'Nils', 'Astrid', 'Oskar', 'Elin', 'Gustav', 'Linnea', 'Henrik', 'Maja'),
        ('Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson', 'Svensson',
         'Gustafsson', 'Lindqvist', 'Lindberg', 'Bergström', 'Holm', 'Sjöberg', 'Wallin', 'Engström', 'Lundgren',
         'Åberg', 'Nyström'),
        (('Stockholm', '114 ##'), ('Göteborg', '411 ##'), ('Malmö', '211 ##'), ('Uppsala', '753 ##'),
         ('Lund', '223 ##'), ('Västerås', '722 ##'), ('Örebro', '702 ##'), ('Helsingborg', '252 ##')),
        ('Drottninggatan', 'Storgatan', 'Kungsgatan', 'Sveavägen', 'Vasagatan', 'Götgatan', 'Linnégatan'),
        '{street} {number}', '+46 70 ### ## ##', 'SE##########01',
        ('{last} Ur & Guld AB', 'Urmakare {last} AB', '{city} Klockhandel AB', '{last}s Antik AB'),
    ),
    'DE': _Country(
        'DE', _DE_FIRST, _DE_LAST,
        (('Hamburg', '20###'), ('Berlin', '10###'), ('München', '80###'), ('Frankfurt am Main', '60###'),
         ('Köln', '50###'), ('Düsseldorf', '40###'), ('Stuttgart', '70###')),
        ('Hauptstraße', 'Bahnhofstraße', 'Goethestraße', 'Schillerstraße', 'Lindenallee', 'Marktplatz'),
        '{street} {number}', '+49 151 ########', 'DE#########',
        ('{last} Uhren GmbH', 'Juwelier {last}', 'Uhrenhandel {last} KG', 'Antiquitäten {last}'),
    ),
    'IT': _Country(
        'IT',
        ('Marco', 'Giulia', 'Luca', 'Francesca', 'Alessandro', 'Chiara', 'Matteo', 'Sara', 'Giovanni', 'Elena',
         'Davide', 'Valentina', 'Stefano', 'Paola'),
        ('Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco',
         'Bruno', 'Gallo', 'Conti', 'De Luca', 'Costa', 'Fontana'),
        (('Milano', '201##'), ('Roma', '001##'), ('Torino', '101##'), ('Firenze', '501##'), ('Bologna', '401##'),
         ('Napoli', '801##')),
        ('Via Roma', 'Corso Venezia', 'Via Garibaldi', 'Via Dante', 'Viale Monza', 'Via Manzoni'),
        '{street} {number}', '+39 3## ### ####', 'IT###########',
        ('Orologi {last} S.r.l.', 'Gioielleria {last}', '{last} & Figli S.n.c.', 'Antichità {last}'),
    ),
    'GB': _Country(
        'GB',
        ('James', 'Emma', 'Oliver', 'Charlotte', 'William', 'Sophie', 'Thomas', 'Lucy', 'George', 'Hannah',
         'Edward', 'Alice', 'Henry', 'Olivia'),
        ('Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Davies', 'Evans', 'Thomas', 'Roberts',
         'Walker', 'Wright', 'Hughes', 'Green', 'Clarke', 'Hall'),
        (('London', 'W1 #@@'), ('London', 'EC1 #@@'), ('Manchester', 'M1 #@@'), ('Birmingham', 'B1 #@@'),
         ('Edinburgh', 'EH1 #@@'), ('Bristol', 'BS1 #@@')),
        ('High Street', 'Church Road', 'Victoria Road', 'King Street', 'Station Road', 'Mill Lane'),
        '{number} {street}', '+44 7700 900###', 'GB#########',
        ('{last} & Sons Ltd', '{last} Watches Ltd', '{city} Watch Exchange Ltd', '{last} Antiques'),
    ),
    'CH': _Country(
        'CH', _DE_FIRST, _DE_LAST,
        (('Zürich', '80##'), ('Genève', '12##'), ('Basel', '40##'), ('Bern', '30##'), ('Lugano', '69##')),
        ('Bahnhofstrasse', 'Seestrasse', 'Rue du Rhône', 'Marktgasse', 'Via Nassa'),
        '{street} {number}', '+41 79 ### ## ##', 'CHE-###.###.### MWST',
        ('Uhren {last} AG', '{last} Horlogerie SA', 'Bijouterie {last}'),
    ),
}
# fmt: on
CONTACT_COUNTRIES = (('SE', 40), ('DE', 25), ('IT', 15), ('GB', 12), ('CH', 8))
CONTACTS = 300

# (e-mail local part, role, country); agents and sellers are the people watches are attributed to
STAFF = (
    ('admin', Role.ADMIN, 'SE'), ('manager', Role.MANAGER, 'SE'), ('finance', Role.FINANCE, 'SE'),
    ('agent1', Role.AGENT, 'SE'), ('agent2', Role.AGENT, 'SE'), ('agent3', Role.AGENT, 'SE'),
    ('agent4', Role.AGENT, 'DE'), ('agent5', Role.AGENT, 'DE'), ('agent6', Role.AGENT, 'IT'),
    ('agent7', Role.AGENT, 'GB'), ('agent8', Role.AGENT, 'CH'),
    ('seller1', Role.SELLER, 'SE'), ('seller2', Role.SELLER, 'SE'), ('seller3', Role.SELLER, 'SE'),
    ('seller4', Role.SELLER, 'SE'),
)  # fmt: skip
AGENT_WEIGHTS = (22, 18, 15, 12, 10, 9, 8, 6)

# (name, kind, address, country); agents' homes are added per agent
PLACES = (
    ('Office — Stockholm', LocationKind.OFFICE, 'Hornsgatan 54, 118 21 Stockholm', 'SE'),
    ('Warehouse — Årsta', LocationKind.WAREHOUSE, 'Årstaängsvägen 19, 117 43 Stockholm', 'SE'),
    ('Watchmaker — Lindqvist Urmakeri, Göteborg', LocationKind.WATCHMAKER, 'Linnégatan 12, 413 04 Göteborg', 'SE'),
    ('Watchmaker — Uhrenwerkstatt Hoffmann, Hamburg', LocationKind.WATCHMAKER, 'Lange Reihe 88, 20099 Hamburg', 'DE'),
    ('In transit', LocationKind.IN_TRANSIT, None, None),
)  # fmt: skip

# --- watches -----------------------------------------------------------------------------------------------------

# (currency, weight): what agents pay in
PURCHASE_CURRENCIES = (('EUR', 42), ('SEK', 36), ('USD', 8), ('GBP', 8), ('CHF', 6))
# currency -> (low, high) units per 1 EUR, the corridor of the demo random walk
EUR_CORRIDORS = {'SEK': (11.0, 11.8), 'USD': (1.05, 1.12), 'GBP': (0.84, 0.88), 'CHF': (0.93, 0.98)}
# Recently taken in watches are still early in the workflow; older ones spread over the whole of it.
RECENT_DAYS = 30
RECENT_STAGES = (('intake', 30), ('photographed', 25), ('described', 15), ('ready_to_list', 10), ('listed', 8),
                 ('on_hold', 5), ('in_service', 7))  # fmt: skip
SETTLED_STAGES = (('intake', 3), ('photographed', 4), ('described', 5), ('ready_to_list', 8), ('listed', 30),
                  ('on_hold', 5), ('in_service', 4), ('returned', 1), ('sold', 8), ('shipped', 4),
                  ('delivered', 28))  # fmt: skip
SOLD_STAGES = {'sold': (0, 7), 'shipped': (3, 20), 'delivered': (14, HISTORY_DAYS)}  # sold so many days ago
SELLER_STAGES = {'ready_to_list', 'listed', 'sold', 'shipped', 'delivered', 'returned'}
UNPRICED_STAGES = {'intake', 'photographed'}
GRADE_WEIGHTS = (('A', 8), ('B', 42), ('C', 35), ('D', 12), ('E', 3))
GRADE_VALUE = {'A': Decimal('1.10'), 'B': Decimal('1.00'), 'C': Decimal('0.92'), 'D': Decimal('0.80'),
               'E': Decimal('0.60')}  # fmt: skip
STRAPS = {
    'steel': (('Steel bracelet', 45), ('Black leather strap', 14), ('Brown leather strap', 14),
              ('Black alligator strap', 7), ('Rubber strap', 8), ('NATO strap', 8), ('Steel mesh bracelet', 4)),
    'precious': (('Black alligator strap', 40), ('Brown alligator strap', 35), ('Gold bracelet', 25)),
    'titanium': (('Titanium bracelet', 60), ('Rubber strap', 40)),
}  # fmt: skip
WATCHMAKERS = ('Lindqvist Urmakeri, Göteborg', 'Uhrenwerkstatt Hoffmann, Hamburg', 'Orologeria Bianchi, Milano',
               'Urmakare Holm, Stockholm', 'Clarke Watch Repairs, London')  # fmt: skip
SERVICE_WORK = ('Full service', 'Full service and pressure test', 'Crystal replaced', 'Mainspring replaced',
                'Gaskets replaced, pressure tested', 'Balance staff replaced', 'Crown and tube replaced',
                'Cleaned, oiled and regulated', 'Bezel insert replaced')  # fmt: skip
NOTES = ('Bought from the first owner; original receipt seen.', 'Estate purchase.', 'Light scratches on the clasp.',
         'Lume intact and even.', 'Small chip on the crystal at 4 o\'clock.', 'Bracelet stretch consistent with age.',
         'Keeps time within +4 s/day.', 'Needs a service before listing.', 'Case unpolished, sharp bevels.',
         'Hands relumed at some point.', 'Bought at auction; lot paperwork in the file.')  # fmt: skip
# Rolex serials: approximate numbers by year before 1987, a letter per year from 1987, random after 2009.
ROLEX_SERIALS = ((1955, 200_000), (1960, 450_000), (1963, 1_000_000), (1965, 1_300_000), (1970, 2_600_000),
                 (1975, 4_100_000), (1980, 6_300_000), (1985, 8_900_000), (1987, 9_900_000))  # fmt: skip
ROLEX_LETTERS = 'RLLEXCSSWTUUAPKYFFDZMMV'  # 1987 .. 2009
OMEGA_SERIALS = ((1950, 12_000_000), (1960, 17_500_000), (1970, 30_000_000), (1980, 43_000_000),
                 (1990, 48_000_000), (2000, 56_000_000), (2010, 83_000_000), (2025, 99_000_000))  # fmt: skip

# --- sales -------------------------------------------------------------------------------------------------------

# (channel, weight, currency it settles in, platform fee as a share of the price, reference prefix)
SALE_CHANNELS = {'catawiki': (60, 'EUR', Decimal('0.125'), 'CW'), 'tradera': (40, 'SEK', Decimal('0.10'), 'TR')}
HAMMER_PERCENT = (85, 112)  # the final price against the asking price
SHIPPING_SHARE = 0.7  # of sales that we ship (the rest is picked up or the buyer pays the courier)
SHIPPING_EUR = (18, 45)  # what DHL charges us, before conversion to the sale's currency
BUYER_SHARE = 0.6  # of sales whose buyer is one of our contacts
# every column a booking links through, so rows of one insert share their keys
BOOKING_LINKS = ('watch_id', 'user_id', 'contact_id', 'batch_id', 'sale_id', 'reverses_id', 'reference', 'memo')

# --- photos ------------------------------------------------------------------------------------------------------

POOL_COLOURS = {
    'black': (24, 24, 27), 'white': (238, 236, 230), 'silver': (196, 199, 204), 'blue': (28, 58, 122),
    'champagne': (212, 190, 140), 'grey': (105, 108, 115), 'green': (32, 82, 56), 'brown': (98, 64, 40),
    'orange': (226, 110, 32),
}  # fmt: skip
# dial words that name a pool colour without being one; the first word that matches decides
DIAL_ALIASES = {'reverse': 'black', 'panda': 'white', 'cream': 'white', 'yellow': 'champagne', 'red': 'brown',
                'platinum': 'grey'}  # fmt: skip
PHOTO_STYLES = ('diver', 'dress', 'chronograph', 'pilot', 'date')
METALS = ((198, 200, 204), (214, 178, 92), (206, 150, 122))
STRAP_COLOURS = ((92, 58, 36), (30, 30, 32), (60, 62, 66))


@dataclass(frozen=True)
class _Photo:
    checksum: str
    size_bytes: int


@dataclass
class _World:
    """What the watches refer to, drawn or loaded before them."""

    rng: random.Random
    anchor: datetime
    base: str
    agents: list[int]
    agent_homes: list[int]
    sellers: list[int]
    places: dict[LocationKind, list[int]]
    suppliers: list[int]
    stages: dict[str, int]
    fx: _Fx
    photos: dict[str, list[_Photo]]
    bookkeeper: int  # the finance user who records the sales
    rules: dict[int, list[CommissionRule]]  # per agent and seller, the rules that may pay them, in order


@dataclass
class _Fx:
    """Rates per calendar day (a weekend takes the latest earlier business day's rate)."""

    eur: dict[date, dict[str, Decimal]]  # units of each currency per EUR: to price a purchase
    base: dict[date, dict[str, Decimal]]  # units of each currency per base unit: what is booked
    inserted: int


@dataclass(frozen=True)
class _Slot:
    """When a watch was taken in and by which agent, drawn first so batches can group them."""

    created_at: datetime
    agent: int  # index into the agents
    batch: tuple[int, BatchStatus] | None


def seed(*, watches: int, seed: int = 42, progress: Progress | None = None) -> str:
    """Load demo data in one transaction and return a summary with counts and the demo logins."""
    if not 0 <= watches <= MAX_WATCHES:
        raise ValidationFailed(f'The number of watches must be between 0 and {MAX_WATCHES:,}.')
    if (base := get_settings().base_currency) not in ('EUR', *EUR_CORRIDORS):
        raise ValidationFailed(
            f'The demo data has exchange rates for EUR, {", ".join(EUR_CORRIDORS)} only, not {base}.'
        )
    started = time.perf_counter()
    report = progress or _quiet
    rng = random.Random(seed)
    anchor = datetime.combine(utcnow().date(), datetime.min.time(), tzinfo=UTC)
    photos = _photo_pool(report)
    with session_scope() as session:
        world, counts = _world(session, rng, anchor, photos)
        slots, batches = _timeline(session, world, watches)
        counts |= {'batches': batches}
        first_watch = _next_id(session, Watch)
        counts |= _insert_watches(session, world, slots, report)
        counts |= _insert_sales(session, world, first_watch, report)
        _advance_sequences(session)
        counts |= _settle(session, world, first_watch)
        audit.record(session, SYSTEM, 'demo.seeded', 'demo', None, after={'seed': seed, **counts})
    maintenance.optimize_database()  # fresh statistics, so the lists and the dashboard pick their indexes
    return _summary(seed, counts, time.perf_counter() - started)


def _quiet(_step: str, _done: int, _total: int) -> None:
    """The default progress report: none."""


def _world(
    session: Session, rng: random.Random, anchor: datetime, photos: dict[str, list[_Photo]]
) -> tuple[_World, dict[str, int]]:
    users, names, new_users = _users(session, rng, anchor)
    agents = [users[local] for local, role, _ in STAFF if role is Role.AGENT]
    places, homes, new_places = _places(session, rng, anchor, names)
    suppliers, new_contacts = _contacts(session, rng, anchor)
    fx = _fx(session, rng, anchor.date())
    _commission_rules(session, anchor)
    stages = dict(session.execute(sa.select(Stage.key, Stage.id)).all())
    base = get_settings().base_currency
    sellers = [users[local] for local, role, _ in STAFF if role is Role.SELLER]
    world = _World(
        rng=rng,
        anchor=anchor,
        base=base,
        agents=agents,
        agent_homes=homes,
        sellers=sellers,
        places=places,
        suppliers=suppliers,
        stages=stages,
        fx=fx,
        photos=photos,
        bookkeeper=users['finance'],
        rules=_earner_rules(session, agents + sellers, {base, *fx.base[anchor.date()]}),
    )
    counts = {'users': new_users, 'locations': new_places, 'contacts': new_contacts, 'fx_rates': fx.inserted}
    return world, counts


def _summary(seed: int, counts: dict[str, int], seconds: float) -> str:
    return '\n'.join(
        (
            f'Demo data (seed {seed}) loaded in {seconds:.1f} s: {counts["watches"]:,} watches with '
            f'{counts["purchases"]:,} purchases, {counts["sales"]:,} sales ({counts["sale_bookings"]:,} bookings '
            f'with their fees, shipping and commissions), {counts["advances"]:,} advances and {counts["payouts"]:,} '
            f'payouts, {counts["images"]:,} photos ({counts["photo_files"]} '
            f'files), {counts["batches"]:,} batches;',
            f'  new: {counts["users"]} users, {counts["locations"]} locations, {counts["contacts"]} contacts, '
            f'{counts["fx_rates"]:,} FX rates.',
            f'  Log in as manager@{DEMO_DOMAIN} (or admin, finance, agent1..agent8, seller1..seller4 at the same '
            f'domain) with the password: {DEMO_PASSWORD}',
        )
    )


# --- inserting ---------------------------------------------------------------------------------------------------

_EXPLICIT_IDS = (User, Location, Contact, Batch, FxRate, Watch, Transaction, StageEvent, WatchImage, Sale)


def _next_id(session: Session, model: type) -> int:
    table = model.__table__
    return session.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one() + 1


def _insert(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    """Core executemany in chunks: no ORM objects, one prepared statement per chunk."""
    statement = sa.insert(model.__table__)
    for start in range(0, len(rows), CHUNK):
        session.execute(statement, rows[start : start + CHUNK])


def _advance_sequences(session: Session) -> None:
    """PostgreSQL hands out ids from sequences that explicit ids do not move; SQLite needs nothing."""
    if session.get_bind().dialect.name != 'postgresql':
        return
    for model in _EXPLICIT_IDS:
        name = model.__tablename__
        session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))


def _existing(session: Session, column: sa.ColumnElement, keys: Iterable[str]) -> dict[str, int]:
    """Ids of rows whose `column` is among `keys`, so a second run reuses what the first one made."""
    wanted = list(dict.fromkeys(keys))
    table = column.table
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        query = sa.select(column, table.c.id).where(column.in_(wanted[start : start + 500]))
        found.update(session.execute(query).all())
    return found


def _add_missing(
    session: Session, model: type, key: str, rows: list[dict[str, Any]], existing: dict[str, int]
) -> tuple[dict[str, int], int]:
    """Insert the rows whose key is new; return every key's id and how many were inserted."""
    new = [row for row in rows if row[key] not in existing]
    next_id = _next_id(session, model)
    for offset, row in enumerate(new):
        row['id'] = next_id + offset
    _insert(session, model, new)
    return existing | {row[key]: row['id'] for row in new}, len(new)


# --- users, places, contacts -------------------------------------------------------------------------------------


def _users(session: Session, rng: random.Random, anchor: datetime) -> tuple[dict[str, int], dict[str, str], int]:
    """Ids and names of the demo staff by e-mail local part; existing accounts are left as they are.

    The password is hashed once for all of them: argon2 is slow on purpose.
    """
    rows = []
    for local, role, country in STAFF:
        first, last = rng.choice(COUNTRIES[country].first), rng.choice(COUNTRIES[country].last)
        rows.append({'email': f'{local}@{DEMO_DOMAIN}', 'name': f'{first} {last}', 'role': role})
    existing = _existing(session, User.__table__.c.email, (row['email'] for row in rows))
    password_hash = PasswordHasher().hash(DEMO_PASSWORD) if len(existing) < len(rows) else None
    for row in rows:
        row |= {'active': True, 'password_hash': password_hash, 'password_must_change': False, 'failed_logins': 0,
                'preferences': {}, 'created_at': anchor - timedelta(days=HISTORY_DAYS + 30)}  # fmt: skip
    ids, added = _add_missing(session, User, 'email', rows, existing)
    names = session.execute(sa.select(User.email, User.name).where(User.email.in_(list(ids)))).all()
    return (
        {email.split('@')[0]: user_id for email, user_id in ids.items()},
        {email.split('@')[0]: name for email, name in names},
        added,
    )


def _places(
    session: Session, rng: random.Random, anchor: datetime, names: dict[str, str]
) -> tuple[dict[LocationKind, list[int]], list[int], int]:
    """The fixed places plus one home per agent; returns ids by kind, the agents' homes in order, and the count."""
    rows = [{'name': name, 'kind': kind, 'address': address, 'country': country}
            for name, kind, address, country in PLACES]  # fmt: skip
    homes = []
    for local, role, code in STAFF:
        if role is Role.AGENT:
            country = COUNTRIES[code]
            city, postal = rng.choice(country.cities)
            street = _street(rng, country)
            homes.append(f'Agent — {names[local]}')
            rows.append({'name': homes[-1], 'kind': LocationKind.AGENT,
                         'address': f'{street}, {_fill(rng, postal)} {city}', 'country': code})  # fmt: skip
    for row in rows:
        row |= {'active': True, 'created_at': anchor - timedelta(days=HISTORY_DAYS + 30)}
    existing = _existing(session, Location.__table__.c.name, (row['name'] for row in rows))
    ids, added = _add_missing(session, Location, 'name', rows, existing)
    by_kind: dict[LocationKind, list[int]] = {}
    for row in rows:
        by_kind.setdefault(row['kind'], []).append(ids[row['name']])
    return by_kind, [ids[name] for name in homes], added


def _commission_rules(session: Session, anchor: datetime) -> None:
    """Agents earn 5 % of gross profit and sellers 3 % of the sale price, unless their role already has a rule."""
    for role, basis, percent in (
        (Role.AGENT, CommissionBasis.GROSS_PROFIT, 5),
        (Role.SELLER, CommissionBasis.SALE_PRICE, 3),
    ):
        if session.execute(sa.select(CommissionRule.id).where(CommissionRule.role == role)).first() is None:
            session.add(
                CommissionRule(
                    role=role,
                    basis=basis,
                    percent=Decimal(percent),
                    currency=get_settings().base_currency,
                    valid_from=(anchor - timedelta(days=HISTORY_DAYS + 30)).date(),
                )
            )


def _contacts(session: Session, rng: random.Random, anchor: datetime) -> tuple[list[int], int]:
    """A few hundred suppliers, persons and firms, keyed by e-mail so a second run finds the same ones."""
    used: set[str] = set()
    rows = [_contact(rng, anchor, used) for _ in range(CONTACTS)]
    existing = _existing(session, Contact.__table__.c.email, (row['email'] for row in rows))
    ids, added = _add_missing(session, Contact, 'email', rows, existing)
    return [ids[row['email']] for row in rows], added


def _contact(rng: random.Random, anchor: datetime, used: set[str]) -> dict[str, Any]:
    country = COUNTRIES[_weighted(rng, CONTACT_COUNTRIES)]
    first, last = rng.choice(country.first), rng.choice(country.last)
    city, postal = rng.choice(country.cities)
    company = rng.random() < 0.3
    firm = rng.choice(country.firms).format(last=last, city=city) if company else None
    email = f'info@{_slug(firm)}.example' if firm else f'{_slug(first)}.{_slug(last)}@example.com'
    created = anchor - timedelta(days=rng.randint(HISTORY_DAYS, HISTORY_DAYS + 400), minutes=rng.randint(0, 1439))
    return {
        'kind': ContactKind.COMPANY if company else ContactKind.PERSON,
        'name': firm or f'{first} {last}',
        'company': None,
        'email': _unique(email, used),
        'phone': _fill(rng, country.phone),
        'street': _street(rng, country),
        'postal_code': _fill(rng, postal),
        'city': city,
        'country': country.code,
        'vat_number': _fill(rng, country.vat) if company else None,
        'notes': None,
        'consent_at': None if company else created,
        'created_at': created,
    }


def _street(rng: random.Random, country: _Country) -> str:
    return country.address.format(street=rng.choice(country.streets), number=rng.randint(1, 120))


def _unique(email: str, used: set[str]) -> str:
    """The address, or the same with a number before the @ when it is taken already."""
    candidate, number = email, 1
    while candidate in used:
        number += 1
        local, domain = email.split('@')
        candidate = f'{local}{number}@{domain}'
    used.add(candidate)
    return candidate


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize('NFKD', text).encode('ascii', 'ignore').decode()
    return re.sub(r'[^a-z0-9]+', '-', ascii_text.lower()).strip('-')


def _fill(rng: random.Random, template: str) -> str:
    """Replace each # with a digit and each @ with a capital letter."""
    return re.sub(r'[#@]', lambda m: str(rng.randint(0, 9)) if m[0] == '#' else chr(rng.randint(65, 90)), template)


# --- exchange rates ----------------------------------------------------------------------------------------------


def _fx(session: Session, rng: random.Random, today: date) -> _Fx:
    """A daily random walk per currency over the whole period; dates already in the table keep their rate."""
    start = today - timedelta(days=HISTORY_DAYS + 60)
    days = [start + timedelta(days=offset) for offset in range((today - start).days + 1)]
    business = [day for day in days if day.weekday() < 5]
    walks = {currency: _walk(rng, low, high, len(business)) for currency, (low, high) in EUR_CORRIDORS.items()}
    eur = {day: {'EUR': Decimal(1), **{c: walk[i] for c, walk in walks.items()}} for i, day in enumerate(business)}
    base = get_settings().base_currency
    booked = {day: _cross(quotes, base) for day, quotes in eur.items()}
    stored = session.execute(
        sa.select(FxRate.rate_date, FxRate.currency, FxRate.rate)
        .where(FxRate.rate_date >= start)
        .order_by(FxRate.rate_date, FxRate.currency)
    )
    present = set()
    for day, currency, rate in stored:
        present.add((day, currency))
        booked.setdefault(day, {})[currency] = rate
    rows = [
        {'rate_date': day, 'currency': currency, 'rate': rate, 'source': 'demo',
         'created_at': datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)}
        for day in business
        for currency, rate in booked[day].items()
        if (day, currency) not in present
    ]  # fmt: skip
    next_id = _next_id(session, FxRate)
    for offset, row in enumerate(rows):
        row['id'] = next_id + offset
    _insert(session, FxRate, rows)
    return _Fx(eur=_fill_forward(eur, days), base=_fill_forward(booked, days), inserted=len(rows))


def _walk(rng: random.Random, low: float, high: float, steps: int) -> list[Decimal]:
    """A mean-reverting walk inside the corridor, quoted to four decimals as the ECB does."""
    middle, spread = (low + high) / 2, (high - low) / 2
    value = middle + rng.uniform(-spread, spread) / 2
    quotes = []
    for _ in range(steps):
        value += 0.05 * (middle - value) + rng.gauss(0, spread / 12)
        value = min(max(value, low), high)
        quotes.append(Decimal(f'{value:.4f}'))
    return quotes


def _cross(eur_quotes: dict[str, Decimal], base: str) -> dict[str, Decimal]:
    """Units of each currency per one unit of the base currency, leaving out the base itself."""
    per_base = eur_quotes.get(base, Decimal(1))
    return {
        currency: (quote / per_base).quantize(Decimal('0.00000001'))
        for currency, quote in eur_quotes.items()
        if currency != base
    }


def _fill_forward(rates: dict[date, dict[str, Decimal]], days: list[date]) -> dict[date, dict[str, Decimal]]:
    filled: dict[date, dict[str, Decimal]] = {}
    latest: dict[str, Decimal] = {}
    for day in days:
        latest = {**latest, **rates.get(day, {})}
        filled[day] = latest
    return filled


# --- timeline and batches ----------------------------------------------------------------------------------------


def _timeline(session: Session, world: _World, count: int) -> tuple[list[_Slot], int]:
    """Creation times (two years up to today, a handful today) with their agents and batches, oldest first."""
    rng, anchor = world.rng, world.anchor
    handful = min(count, max(3, min(25, count // 100)))
    past = [anchor - timedelta(seconds=rng.randrange(HISTORY_DAYS * 86400)) for _ in range(count - handful)]
    today = [anchor + timedelta(seconds=rng.randrange(600)) for _ in range(handful)]
    times = sorted(past + today)
    agent_weights = tuple(zip(range(len(world.agents)), AGENT_WEIGHTS, strict=True))
    drawn = [(moment, _weighted(rng, agent_weights), rng.random() < 0.45) for moment in times]
    groups: dict[tuple[int, int, int], list[int]] = {}
    for index, (moment, agent, batched) in enumerate(drawn):
        if batched:
            groups.setdefault((agent, *moment.isocalendar()[:2]), []).append(index)
    batch_of = _insert_batches(session, world, groups, drawn)
    slots = [
        _Slot(created_at=moment, agent=agent, batch=batch_of.get(index))
        for index, (moment, agent, _batched) in enumerate(drawn)
    ]
    return slots, len(groups)


def _insert_batches(
    session: Session, world: _World, groups: dict[tuple[int, int, int], list[int]], drawn: list[tuple]
) -> dict[int, tuple[int, BatchStatus]]:
    """One batch per agent and week: from the agent's home to the office or warehouse, dated by its watches."""
    rng = world.rng
    numbers = _batch_numbers(session)
    next_id = _next_id(session, Batch)
    rows, batch_of = [], {}
    for offset, ((agent, _year, _week), members) in enumerate(groups.items()):
        created = drawn[members[0]][0]
        shipped = drawn[members[-1]][0] + timedelta(days=rng.randint(1, 3), hours=rng.randint(1, 8))
        delivered = shipped + timedelta(days=rng.randint(1, 4), hours=rng.randint(1, 8))
        status = _batch_status(world.anchor, created, shipped, delivered)
        sent = status in (BatchStatus.SHIPPED, BatchStatus.DELIVERED)
        period = sku.period_key(created.date())
        numbers[period] = numbers.get(period, 0) + 1
        rows.append({
            'id': next_id + offset,
            'batch_number': f'B-{period}-{numbers[period]:03d}',
            'origin_id': world.agent_homes[agent],
            'destination_id': world.places[LocationKind.OFFICE if rng.random() < 0.8 else LocationKind.WAREHOUSE][0],
            'status': status,
            'carrier': 'DHL Express' if sent else None,
            'tracking_number': _fill(rng, '##########') if sent else None,
            'notes': None,
            'shipped_at': shipped if sent else None,
            'delivered_at': delivered if status is BatchStatus.DELIVERED else None,
            'created_at': created,
            'created_by_id': world.agents[agent],
        })  # fmt: skip
        batch_of |= dict.fromkeys(members, (next_id + offset, status))
    _insert(session, Batch, rows)
    return batch_of


def _batch_status(anchor: datetime, created: datetime, shipped: datetime, delivered: datetime) -> BatchStatus:
    """What a batch with these dates would be by today: recent ones are still open, packed or on the road."""
    if delivered <= anchor:
        return BatchStatus.DELIVERED
    if shipped <= anchor:
        return BatchStatus.SHIPPED
    return BatchStatus.PACKED if anchor - created > timedelta(days=2) else BatchStatus.OPEN


def _batch_numbers(session: Session) -> dict[str, int]:
    """The highest batch number per month already taken, so new ones continue after it."""
    highest: dict[str, int] = {}
    for number in session.execute(sa.select(Batch.batch_number)).scalars():
        if match := re.fullmatch(r'B-(\d{4})-(\d+)', number):
            highest[match[1]] = max(highest.get(match[1], 0), int(match[2]))
    return highest


# --- watches -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalogue:
    """The reference models with what the generator derives from each once, and the weights to draw them."""

    models: tuple[reference.WatchModel, ...]
    cumulative: tuple[float, ...]
    genders: tuple[Gender, ...]
    straps: tuple[tuple[tuple[str, int], ...], ...]


@lru_cache(maxsize=1)
def _catalogue() -> _Catalogue:
    """Cheaper models are commoner: weight by the inverse square root of the middle price."""
    models = reference.table().models
    weights = [1 / math.sqrt(float(m.price_low_eur + m.price_high_eur) / 2) for m in models]
    cumulative = tuple(sum(weights[: index + 1]) for index in range(len(weights)))
    return _Catalogue(
        models=models,
        cumulative=cumulative,
        genders=tuple(_gender(m.diameter_mm) for m in models),
        straps=tuple(STRAPS[_strap_kind(m.case_material)] for m in models),
    )


def _gender(diameter: float) -> Gender:
    return Gender.WOMEN if diameter < 30 else Gender.UNISEX if diameter < 35 else Gender.MEN


def _strap_kind(material: str) -> str:
    if 'titanium' in material:
        return 'titanium'
    return 'steel' if 'steel' in material else 'precious'


def _insert_watches(session: Session, world: _World, slots: list[_Slot], report: Progress) -> dict[str, int]:
    """Watches with their purchase, first stage event and photos, generated and inserted chunk by chunk."""
    ids = {model: _next_id(session, model) for model in (Watch, Transaction, StageEvent, WatchImage)}
    counters = dict(session.execute(sa.select(SkuCounter.period, SkuCounter.value)).all())
    highest = dict(counters)
    serials = set(session.execute(sa.select(Watch.serial).where(Watch.serial.is_not(None))).scalars())
    prev_hash = _last_hash(session)
    images = 0
    for start in range(0, len(slots), CHUNK):
        rows: dict[type, list[dict[str, Any]]] = {Watch: [], Transaction: [], StageEvent: [], WatchImage: []}
        for position, slot in enumerate(slots[start : start + CHUNK], start):
            day = slot.created_at.date()
            period = sku.period_key(day)
            highest[period] = highest.get(period, 0) + 1
            built = _watch(world, slot, ids[Watch] + position, sku.format_sku(day, highest[period]), serials)
            built.transaction |= {'id': ids[Transaction] + position, 'prev_hash': prev_hash}
            prev_hash = built.transaction['row_hash'] = ledger.row_hash(prev_hash, built.transaction)
            built.event['id'] = ids[StageEvent] + position
            for image in built.images:
                image['id'] = ids[WatchImage] + images
                images += 1
            rows[Watch].append(built.watch)
            rows[Transaction].append(built.transaction)
            rows[StageEvent].append(built.event)
            rows[WatchImage].extend(built.images)
        for model, chunk in rows.items():
            _insert(session, model, chunk)
        report('watches', start + len(rows[Watch]), len(slots))
    _save_counters(session, counters, highest)
    photo_files = len({photo.checksum for group in world.photos.values() for photo in group})
    return {'watches': len(slots), 'purchases': len(slots), 'images': images, 'photo_files': photo_files}


def _last_hash(session: Session) -> str:
    """Where the chain continues; on PostgreSQL the table is locked so no booking slips in between."""
    if session.get_bind().dialect.name == 'postgresql':
        session.execute(sa.text('LOCK TABLE transactions IN EXCLUSIVE MODE'))
    last = session.execute(sa.select(Transaction.row_hash).order_by(Transaction.id.desc()).limit(1)).scalar()
    return last or ledger.GENESIS


def _save_counters(session: Session, before: dict[str, int], after: dict[str, int]) -> None:
    """Upsert the highest number used per period, so SKUs handed out later continue after the seeded ones."""
    table = SkuCounter.__table__
    changed = [{'p': period, 'v': value} for period, value in after.items() if before.get(period) != value]
    new = [{'period': row['p'], 'value': row['v']} for row in changed if row['p'] not in before]
    updated = [row for row in changed if row['p'] in before]
    if new:
        session.execute(sa.insert(table), new)
    if updated:
        statement = sa.update(table).where(table.c.period == sa.bindparam('p')).values(value=sa.bindparam('v'))
        session.execute(statement, updated)


@dataclass
class _Built:
    watch: dict[str, Any]
    transaction: dict[str, Any]
    event: dict[str, Any]
    images: list[dict[str, Any]]


def _watch(world: _World, slot: _Slot, watch_id: int, number: str, serials: set[str]) -> _Built:
    """One watch and the rows that come with it; the order of draws is fixed, which keeps the seed meaningful."""
    rng, catalogue = world.rng, _catalogue()
    index = rng.choices(range(len(catalogue.models)), cum_weights=catalogue.cumulative)[0]
    model = catalogue.models[index]
    today = world.anchor.date()
    year = rng.randint(model.year_from, min(model.year_to, today.year))
    dial = rng.choice(model.dials)
    condition = _condition(rng)
    grade = grading.overall(condition)
    box, papers = _box_papers(rng, year, today.year)
    created = slot.created_at
    purchased = created.date() - timedelta(days=rng.randint(0, 21))
    stage = _stage(rng, (world.anchor - created).days, slot.batch)
    market = _market(rng, model, grade, box and papers)
    cost, currency, rate, cost_base = _purchase(rng, world, market, purchased)
    agent = world.agents[slot.agent]
    watch = {
        'id': watch_id,
        'sku': number,
        'brand': model.brand,
        'model': model.model,
        'reference': model.reference,
        'reference_norm': model.reference_norm,
        'serial': _serial(rng, model.brand, year, serials),
        'movement': model.movement,
        'calibre': model.calibre,
        'year': year,
        'period': f'{year // 10 * 10}s',
        'case_material': model.case_material,
        'case_diameter_mm': model.diameter_mm,
        'dial': dial[0].upper() + dial[1:],
        'strap': _weighted(rng, catalogue.straps[index]),
        'gender': catalogue.genders[index],
        'condition': condition,
        'condition_grade': grade,
        'box': box,
        'papers': papers,
        'service_history': _service_history(rng, model.brand, year, purchased),
        'description': None,
        'notes': rng.choice(NOTES) if rng.random() < 0.25 else None,
        'location_id': _location(rng, world, stage, slot),
        'stage_id': world.stages[stage],
        'batch_id': slot.batch[0] if slot.batch else None,
        'agent_id': agent,
        'seller_id': rng.choice(world.sellers) if stage in SELLER_STAGES else None,
        'supplier_id': rng.choice(world.suppliers),
        'purchase_cost': cost,
        'purchase_currency': currency,
        'purchase_cost_base': cost_base,
        **_prices(rng, market, stage),
        'purchased_on': purchased,
        'sold_on': _sold_on(rng, stage, created.date(), today),
        'version': 1,
        'created_at': created,
        'created_by_id': agent,
        'updated_at': None,
        'deleted_at': None,
    }
    images = _images(rng, world, watch_id, dial, created, agent)
    watch['image_count'] = len(images)
    links = {'watch_id': watch_id, 'user_id': agent, 'contact_id': watch['supplier_id'], 'reference': f'PO-{number}'}
    transaction = _booking(world, T.PURCHASE, purchased, -cost, currency, rate, by=agent, at=created, **links)
    event = {'watch_id': watch_id, 'from_stage_id': None, 'to_stage_id': watch['stage_id'], 'actor_id': agent,
             'note': 'Demo data', 'at': created}  # fmt: skip
    return _Built(watch, transaction, event, images)


def _condition(rng: random.Random) -> dict[str, dict[str, str]]:
    """Every component and aspect graded around one overall impression, mostly B or C."""
    order = list(grading.GRADES)
    centre = order.index(_weighted(rng, GRADE_WEIGHTS))
    condition = {}
    for component, aspects in grading.COMPONENTS.items():
        grades = {}
        for aspect in aspects:
            roll = rng.random()
            step = 0 if roll < 0.6 else -1 if roll < 0.8 else 1
            grades[aspect] = order[min(max(centre + step, 0), len(order) - 1)]
        condition[component] = grades
    return condition


def _box_papers(rng: random.Random, year: int, this_year: int) -> tuple[bool, bool]:
    """Recent watches usually come with box and papers; old ones seldom do."""
    chance = 0.75 if this_year - year <= 20 else 0.2
    box = rng.random() < chance
    return box, rng.random() < (chance if box else chance / 3)


def _stage(rng: random.Random, age_days: int, batch: tuple[int, BatchStatus] | None) -> str:
    if batch and batch[1] is not BatchStatus.DELIVERED:
        return 'intake'
    return _weighted(rng, RECENT_STAGES if age_days < RECENT_DAYS else SETTLED_STAGES)


def _location(rng: random.Random, world: _World, stage: str, slot: _Slot) -> int | None:
    """Where a watch at this stage is: with its agent, on the road, at a watchmaker, or in the office."""
    if slot.batch and slot.batch[1] is BatchStatus.SHIPPED:
        return world.places[LocationKind.IN_TRANSIT][0]
    if stage == 'intake' and (slot.batch or rng.random() < 0.8):
        return world.agent_homes[slot.agent]
    if stage == 'in_service':
        return rng.choice(world.places[LocationKind.WATCHMAKER])
    if stage == 'shipped':
        return world.places[LocationKind.IN_TRANSIT][0]
    if stage == 'delivered':
        return None
    kind = LocationKind.OFFICE if rng.random() < 0.7 else LocationKind.WAREHOUSE
    return world.places[kind][0]


def _market(rng: random.Random, model: reference.WatchModel, grade: str | None, full_set: bool) -> Decimal:
    """A market value in EUR inside the model's range, moved by condition and a full set."""
    share = Decimal(rng.randint(0, 1000)) / 1000
    value = model.price_low_eur + (model.price_high_eur - model.price_low_eur) * share
    value *= GRADE_VALUE.get(grade, Decimal(1)) * (Decimal('1.08') if full_set else Decimal(1))
    return value


def _purchase(rng: random.Random, world: _World, market: Decimal, day: date) -> tuple[Decimal, str, Decimal, Decimal]:
    """What the agent paid (55-75 % of market, a round sum in the currency paid), the booked rate, and in base."""
    currency = _weighted(rng, PURCHASE_CURRENCIES)
    paid_eur = market * Decimal(rng.randint(55, 75)) / 100
    cost = _round_price(paid_eur * world.fx.eur[day][currency])
    rate = _rate(world, currency, day)
    return cost, currency, rate, (cost / rate).quantize(CENT, ROUND_HALF_EVEN)


def _rate(world: _World, currency: str, day: date) -> Decimal:
    """Units of `currency` per base unit on `day`: the table's rate as `ledger.rate_for` finds it (1 for the base)."""
    return Decimal(1) if currency == world.base else world.fx.base[day][currency]


def _booking(
    world: _World,
    kind: TransactionType,
    day: date,
    amount: Decimal,
    currency: str,
    rate: Decimal,
    *,
    by: int,
    at: datetime,
    **links: Any,
) -> dict[str, Any]:
    """One ledger row as `ledger.post` would book it (base amount rounded alike); id and hashes are set later."""
    return {
        'type': kind, 'value_date': day, 'amount': amount, 'currency': currency, 'fx_rate': rate,
        'base_amount': (amount / rate).quantize(CENT, ROUND_HALF_EVEN), 'base_currency': world.base,
        **dict.fromkeys(BOOKING_LINKS), **links, 'created_by_id': by, 'created_at': at,
    }  # fmt: skip


def _prices(rng: random.Random, market: Decimal, stage: str) -> dict[str, Any]:
    """Asking and reserve price in EUR, once a watch has got far enough to be priced."""
    if stage in UNPRICED_STAGES:
        return {'asking_price': None, 'reserve_price': None, 'price_currency': None}
    asking = _round_price(market * Decimal(rng.randint(100, 115)) / 100)
    reserve = _round_price(asking * Decimal(rng.randint(80, 90)) / 100)
    return {'asking_price': asking, 'reserve_price': reserve, 'price_currency': 'EUR'}


def _round_price(value: Decimal) -> Decimal:
    """The kind of round sum people pay and ask: to 10 below 1,000, to 50 below 10,000, else to 100."""
    step = Decimal(10) if value < 1000 else Decimal(50) if value < 10000 else Decimal(100)
    return max(step, (value / step).quantize(Decimal(1), ROUND_DOWN) * step).quantize(CENT)


def _sold_on(rng: random.Random, stage: str, created: date, today: date) -> date | None:
    """A sale at least a week after intake, inside the window typical of the stage (only settled watches sell)."""
    if stage not in SOLD_STAGES:
        return None
    low, high = SOLD_STAGES[stage]
    end = today - timedelta(days=low)
    start = min(end, max(created + timedelta(days=7), today - timedelta(days=high)))
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _serial(rng: random.Random, brand: str, year: int, taken: set[str]) -> str:
    """A serial in the style of the brand and year, unique in the database."""
    while True:
        serial = _serial_candidate(rng, brand, year)
        if serial not in taken:
            taken.add(serial)
            return serial


def _serial_candidate(rng: random.Random, brand: str, year: int) -> str:
    if brand == 'Rolex':
        if year < 1987:
            return str(_around(rng, ROLEX_SERIALS, year))
        if year <= 2009:
            return f'{ROLEX_LETTERS[year - 1987]}{rng.randint(0, 999_999):06d}'
        return ''.join(rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ0123456789') for _ in range(8))
    if brand == 'Omega':
        return str(_around(rng, OMEGA_SERIALS, year))
    if brand in ('Seiko', 'Grand Seiko'):
        return f'{year % 10}{rng.choice("123456789OND")}{rng.randint(0, 9999):04d}'
    return str(rng.randint(100_000, 9_999_999))


def _around(rng: random.Random, anchors: tuple[tuple[int, int], ...], year: int) -> int:
    """A number near the interpolated value for the year (clamped to the first and last anchor)."""
    years = [anchor[0] for anchor in anchors]
    year = min(max(year, years[0]), years[-1])
    for (y0, v0), (y1, v1) in itertools.pairwise(anchors):
        if y0 <= year <= y1:
            low = v0 + (v1 - v0) * (year - y0) // max(1, y1 - y0)
            high = v0 + (v1 - v0) * (year + 1 - y0) // max(1, y1 - y0)
            return rng.randint(low, max(low, high))
    return anchors[-1][1]


def _service_history(rng: random.Random, brand: str, year: int, purchased: date) -> list[dict[str, str]]:
    """Some older watches come with service papers: one or two services between age five and the purchase."""
    first = date(year + 5, 1, 1)
    if rng.random() >= 0.3 or first >= purchased:
        return []
    span = (purchased - first).days
    days = sorted(rng.randrange(span) for _ in range(rng.randint(1, 2)))
    makers = (*WATCHMAKERS, f'{brand} service centre')
    return [
        {'date': (first + timedelta(days=day)).isoformat(), 'watchmaker': rng.choice(makers),
         'work': rng.choice(SERVICE_WORK)}
        for day in days
    ]  # fmt: skip


def _images(
    rng: random.Random, world: _World, watch_id: int, dial: str, created: datetime, agent: int
) -> list[dict[str, Any]]:
    """Two to four photos from the pool in the watch's dial colour; the first one is the primary."""
    group = world.photos[_pool_colour(dial)]
    chosen = rng.sample(group, rng.randint(2, min(4, len(group))))
    return [
        {'watch_id': watch_id, 'position': position, 'is_primary': position == 0, 'checksum': photo.checksum,
         'content_type': 'image/jpeg', 'width': PHOTO_SIZE, 'height': PHOTO_SIZE, 'size_bytes': photo.size_bytes,
         'original_name': f'IMG_{rng.randint(1000, 9999)}.jpg', 'created_at': created, 'created_by_id': agent}
        for position, photo in enumerate(chosen)
    ]  # fmt: skip


# --- sales -------------------------------------------------------------------------------------------------------


def _insert_sales(session: Session, world: _World, first_watch: int, report: Progress) -> dict[str, int]:
    """A sale in force for every watch of this run with a sale date, booked as `sales.record_sale` books one.

    Each gets its sale, platform fee, shipping (for most) and the commissions the rules in force give its agent
    and seller, computed by `commissions.calculate`, at the table's rate of the sale day. The watches keep their
    stage (their history already says sold); a reversal would send them back to Listed. Like the purchases, the
    rows go in chunk by chunk with precomputed ids, continuing the hash chain.
    """
    sold = sa.select(Watch.id, Watch.sold_on, Watch.asking_price, Watch.agent_id, Watch.seller_id,
                     Watch.purchase_cost_base).where(Watch.id >= first_watch, Watch.sold_on.is_not(None))  # fmt: skip
    total = session.execute(sa.select(sa.func.count()).select_from(sold.subquery())).scalar_one()
    ids = {model: _next_id(session, model) for model in (Sale, Transaction)}
    references = set(session.execute(sa.select(Sale.reference).where(Sale.reference.is_not(None))).scalars())
    prev_hash = ledger.last_hash(session)
    sales = bookings = 0
    after = first_watch - 1
    while chunk := session.execute(sold.where(Watch.id > after).order_by(Watch.id).limit(CHUNK)).all():
        rows: dict[type, list[dict[str, Any]]] = {Sale: [], Transaction: []}
        for watch in chunk:
            sale = _sale(world, watch, ids[Sale] + sales + len(rows[Sale]), references)
            rows[Sale].append(sale)
            for booking in _sale_bookings(world, watch, sale):
                booking |= {'id': ids[Transaction] + bookings + len(rows[Transaction]), 'prev_hash': prev_hash}
                prev_hash = booking['row_hash'] = ledger.row_hash(prev_hash, booking)
                rows[Transaction].append(booking)
        for model, chunk_rows in rows.items():
            _insert(session, model, chunk_rows)
        sales, bookings, after = sales + len(rows[Sale]), bookings + len(rows[Transaction]), chunk[-1].id
        report('sales', sales, total)
    return {'sales': sales, 'sale_bookings': bookings}


def _earner_rules(session: Session, earners: list[int], currencies: set[str]) -> dict[int, list[CommissionRule]]:
    """Per agent and seller, the active rules that may pay them, in the order `commissions` picks them: their
    own first, then their role's, each by id (`commissions.in_force` takes the first valid on the day). A rule
    paying in a currency the demo has no rates for is refused before anything is generated."""
    people = sa.select(User.id, User.role).where(User.id.in_(earners))
    query = sa.select(CommissionRule).where(CommissionRule.active).order_by(CommissionRule.id)
    active = list(session.execute(query).scalars())
    rules = {
        user: [rule for rule in active if rule.user_id == user]
        + [rule for rule in active if rule.user_id is None and rule.role == role]
        for user, role in session.execute(people).all()
    }
    for rule in itertools.chain.from_iterable(rules.values()):
        if rule.currency not in currencies:
            raise ValidationFailed(
                f'The demo data has exchange rates for EUR, {", ".join(EUR_CORRIDORS)} only; the commission '
                f'rule {rule.id} pays in {rule.currency}.'
            )
    return rules


def _settle(session: Session, world: _World, first_watch: int) -> dict[str, int]:
    """Each agent is advanced a month's purchases (to the nearest 100) on the month's first day, and
    every agent and seller is paid a month's commissions on the 5th of the next, as a running business does; so
    the demo's balances show a little owed, not every purchase ever made. Booked through `ledger.post_many`."""
    kinds = (T.PURCHASE, T.AGENT_COMMISSION, T.SELLER_COMMISSION)
    query = sa.select(Transaction.type, Transaction.user_id, Transaction.value_date, Transaction.base_amount).where(
        Transaction.type.in_(kinds), Transaction.watch_id >= first_watch, Transaction.user_id.is_not(None)
    )
    owed: dict[tuple[date, int, TransactionType], Decimal] = {}
    for kind, user, day, base in session.execute(query).all():
        settlement = T.ADVANCE if kind is T.PURCHASE else T.PAYOUT
        key = (_settle_day(settlement, day.replace(day=1)), user, settlement)
        owed[key] = owed.get(key, Decimal(0)) - base
    entries = [
        _settlement(world, kind, user, day, total)
        for (day, user, kind), total in sorted(owed.items())
        if total > 0 and day <= world.anchor.date()
    ]
    if entries:
        ledger.post_many(session, entries, created_by_id=world.bookkeeper)
    return {f'{kind.value}s': sum(entry.type is kind for entry in entries) for kind in (T.ADVANCE, T.PAYOUT)}


def _settlement(world: _World, kind: TransactionType, user: int, day: date, total: Decimal) -> ledger.Entry:
    amount = (total / 100).to_integral_value(ROUND_HALF_EVEN) * 100 if kind is T.ADVANCE else total
    month = day if kind is T.ADVANCE else (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    memo = f'{"Advance for" if kind is T.ADVANCE else "Commissions of"} {month:%B %Y}'
    return ledger.Entry(type=kind, amount=ledger.signed(kind, amount), currency=world.base, value_date=day,
                        user_id=user, reference=f'{kind.value[:3].upper()}-{month:%Y%m}', memo=memo)  # fmt: skip


def _settle_day(kind: TransactionType, month: date) -> date:
    return month if kind is T.ADVANCE else (month + timedelta(days=32)).replace(day=5)


def _sale(world: _World, watch: sa.Row, sale_id: int, references: set[str]) -> dict[str, Any]:
    """The sale: the asking price give or take, in whole units of the channel's currency, maybe to a contact."""
    rng, day = world.rng, watch.sold_on
    channel = _weighted(rng, tuple((name, spec[0]) for name, spec in SALE_CHANNELS.items()))
    _weight, currency, _fee, prefix = SALE_CHANNELS[channel]
    hammer_eur = watch.asking_price * Decimal(rng.randint(*HAMMER_PERCENT)) / 100
    buyer = rng.choice(world.suppliers) if rng.random() < BUYER_SHARE else None
    return {
        'id': sale_id, 'watch_id': watch.id, 'channel': channel, 'buyer_id': buyer,
        'price': _whole(hammer_eur * world.fx.eur[day][currency]), 'currency': currency, 'sold_on': day,
        'reference': _reference(rng, prefix, references), 'previous_stage_id': world.stages['listed'],
        'created_by_id': world.bookkeeper, 'created_at': _sold_at(world, day), 'reversed_at': None,
        'reversed_by_id': None, 'reversal_reason': None,
    }  # fmt: skip


def _sale_bookings(world: _World, watch: sa.Row, sale: dict[str, Any]) -> list[dict[str, Any]]:
    """The sale (+), its platform fee and shipping (-), then the commissions on the sale or its gross profit."""
    rng, day, currency = world.rng, sale['sold_on'], sale['currency']
    rate = _rate(world, currency, day)
    fee = (sale['price'] * SALE_CHANNELS[sale['channel']][2]).quantize(CENT, ROUND_HALF_EVEN)
    shipping = _whole(rng.randint(*SHIPPING_EUR) * world.fx.eur[day][currency]) if rng.random() < SHIPPING_SHARE else 0
    common = {'by': world.bookkeeper, 'at': sale['created_at'], 'watch_id': watch.id, 'sale_id': sale['id'],
              'reference': sale['reference']}  # fmt: skip
    rows = [
        _booking(world, kind, day, ledger.signed(kind, amount), currency, rate, contact_id=sale['buyer_id'], **common)
        for kind, amount in ((T.SALE, sale['price']), (T.PLATFORM_FEE, fee), (T.SHIPPING, shipping))
        if amount
    ]
    sale_base = rows[0]['base_amount']
    gross_profit = sale_base - watch.purchase_cost_base + sum(row['base_amount'] for row in rows[1:])
    for earner, kind in ((watch.agent_id, T.AGENT_COMMISSION), (watch.seller_id, T.SELLER_COMMISSION)):
        rule = commissions.in_force(world.rules.get(earner, []), day)
        if rule is None:
            continue
        basis = sale_base if rule.basis is CommissionBasis.SALE_PRICE else gross_profit
        rule_rate = _rate(world, rule.currency, day)
        amount, memo = commissions.calculate(rule, basis, rule_rate)
        if amount > 0:
            paid = ledger.signed(kind, (amount * rule_rate).quantize(CENT))
            rows.append(_booking(world, kind, day, paid, rule.currency, rule_rate, user_id=earner, memo=memo, **common))
    return rows


def _whole(value: Decimal) -> Decimal:
    """A price or cost in whole units of its currency, as auctions and couriers charge."""
    return value.quantize(Decimal(1), ROUND_HALF_EVEN).quantize(CENT)


def _reference(rng: random.Random, prefix: str, taken: set[str]) -> str:
    """The platform's order number, unique among the sales."""
    while True:
        reference = f'{prefix}-{rng.randint(100_000, 999_999)}'
        if reference not in taken:
            taken.add(reference)
            return reference


def _sold_at(world: _World, day: date) -> datetime:
    """When the sale was booked: the evening the auction closed, or early this morning for one that closed today."""
    evening = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)
    return min(evening, world.anchor) + timedelta(seconds=world.rng.randrange(600))


def _weighted(rng: random.Random, choices: tuple[tuple[Any, int], ...]) -> Any:
    values, cumulative = _cumulative(choices)
    return rng.choices(values, cum_weights=cumulative)[0]


@lru_cache(maxsize=64)
def _cumulative(choices: tuple[tuple[Any, int], ...]) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    """Values and running weight totals, computed once per table instead of once per draw."""
    values = tuple(value for value, _ in choices)
    return values, tuple(itertools.accumulate(weight for _, weight in choices))


# --- photos ------------------------------------------------------------------------------------------------------


def _pool_colour(dial: str) -> str:
    """The pool colour a dial description names ("black gilt", "reverse panda (...)", "cream"); silver if none."""
    for word in re.findall(r'[a-z]+', dial.lower()):
        if word in POOL_COLOURS:
            return word
        if word in DIAL_ALIASES:
            return DIAL_ALIASES[word]
    return 'silver'


def _photo_pool(report: Progress) -> dict[str, list[_Photo]]:
    """Draw one placeholder photo per dial colour and style, store each once, with its thumbnails."""
    rng = random.Random(PHOTO_POOL_SEED)
    pool: dict[str, list[_Photo]] = {}
    total = len(POOL_COLOURS) * len(PHOTO_STYLES)
    for colour in POOL_COLOURS:
        for style in PHOTO_STYLES:
            data = _draw_photo(rng, colour, style)
            checksum = media_store.store(data)
            media_store.make_thumbnails(checksum)
            pool.setdefault(colour, []).append(_Photo(checksum, len(data)))
            report('photos', sum(len(group) for group in pool.values()), total)
    return pool


def _draw_photo(rng: random.Random, colour: str, style: str) -> bytes:
    """A recognisable stand-in for a watch photo: strap, case, bezel, dial, indices, hands, and a caption."""
    centre = PHOTO_SIZE // 2
    image = Image.new('RGB', (PHOTO_SIZE, PHOTO_SIZE), tuple(rng.randint(214, 246) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    metal = rng.choice(METALS)
    strap = metal if rng.random() < 0.4 else rng.choice(STRAP_COLOURS)
    draw.rectangle((centre - 140, 0, centre + 140, PHOTO_SIZE), fill=strap)
    for top in (centre - 370, centre + 310):
        draw.rectangle((centre - 180, top, centre + 180, top + 60), fill=_shade(metal, 0.9))
    draw.rounded_rectangle((centre + 350, centre - 40, centre + 405, centre + 40), radius=12, fill=_shade(metal, 0.8))
    _disc(draw, centre, centre, 372, metal, _shade(metal, 0.65))
    dial = POOL_COLOURS[colour]
    ink = (246, 244, 238) if sum(dial) < 400 else (28, 28, 30)
    if style == 'diver':
        _diver_bezel(draw, centre, rng.choice(((20, 20, 24), (25, 50, 120), (120, 24, 34))))
    _disc(draw, centre, centre, 300, dial)
    _indices(draw, centre, ink, numerals=style == 'pilot')
    if style == 'chronograph':
        for dx, dy in ((-130, 0), (130, 0), (0, 130)):
            _disc(draw, centre + dx, centre + dy, 58, _shade(dial, 0.8), ink)
    if style in ('date', 'diver'):
        draw.rectangle((centre + 170, centre - 24, centre + 230, centre + 24), fill=(250, 250, 250))
        draw.text((centre + 200, centre), str(rng.randint(1, 31)), fill=(20, 20, 20), font=_font(34), anchor='mm')
    draw.text((centre, centre - 150), 'DEMO', fill=ink, font=_font(46), anchor='mm')
    _hands(draw, centre, ink, rng)
    draw.text((40, PHOTO_SIZE - 40), f'Demo photo · {colour} {style}', fill=(90, 90, 90), font=_font(30), anchor='ls')
    buffer = io.BytesIO()
    image.save(buffer, 'JPEG', quality=88)
    return buffer.getvalue()


def _disc(draw: ImageDraw.ImageDraw, x: int, y: int, radius: int, fill: tuple, outline: tuple | None = None) -> None:
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill, outline=outline, width=6)


def _diver_bezel(draw: ImageDraw.ImageDraw, centre: int, colour: tuple) -> None:
    _disc(draw, centre, centre, 350, colour)
    for minute in range(0, 60, 5):
        draw.line((*_polar(centre, 318, minute * 6), *_polar(centre, 342, minute * 6)), fill=(240, 240, 240), width=8)
    draw.polygon((_polar(centre, 344, -4), _polar(centre, 344, 4), _polar(centre, 316, 0)), fill=(250, 250, 250))


def _indices(draw: ImageDraw.ImageDraw, centre: int, ink: tuple, *, numerals: bool) -> None:
    for hour in range(12):
        if numerals:
            draw.text(_polar(centre, 245, hour * 30), str(hour or 12), fill=ink, font=_font(44), anchor='mm')
        else:
            outer, inner = _polar(centre, 282, hour * 30), _polar(centre, 240 if hour % 3 else 225, hour * 30)
            draw.line((*inner, *outer), fill=ink, width=14 if hour % 3 == 0 else 9)


def _hands(draw: ImageDraw.ImageDraw, centre: int, ink: tuple, rng: random.Random) -> None:
    minutes = rng.randrange(720)
    for angle, length, width, colour in (
        (minutes / 2, 160, 18, ink),
        (minutes % 60 * 6, 240, 12, ink),
        (rng.randrange(360), 260, 4, (200, 30, 30)),
    ):
        draw.line((centre, centre, *_polar(centre, length, angle)), fill=colour, width=width)
    _disc(draw, centre, centre, 14, (200, 30, 30))


def _polar(centre: int, radius: float, degrees: float) -> tuple[float, float]:
    """A point on the dial: 0 degrees at 12 o'clock, clockwise."""
    angle = math.radians(degrees)
    return centre + radius * math.sin(angle), centre - radius * math.cos(angle)


def _shade(colour: tuple, factor: float) -> tuple[int, ...]:
    return tuple(min(255, int(channel * factor)) for channel in colour)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)
