"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no exact decimal type (NUMERIC is stored as a float), so exact numbers are kept there as
integers in minor units (cents for money, 10^-8 for rates); PostgreSQL keeps them as NUMERIC.
Either way Python sees `Decimal`, and SQL sums stay exact on both.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect


class ScaledDecimal(sa.types.TypeDecorator):
    """An exact decimal with a fixed number of places; refuses floats and values that would need rounding."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 2) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine:
        if dialect.name == 'sqlite':
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = _exact(value, self.scale)
        return int(exact.scaleb(self.scale)) if dialect.name == 'sqlite' else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == 'sqlite':
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value).quantize(Decimal(1).scaleb(-self.scale))

    def __repr__(self) -> str:
        return f'{type(self).__name__}(precision={self.precision}, scale={self.scale})'


class Money(ScaledDecimal):
    """An amount of money with two decimal places (the currency lives in a column beside it)."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(18, 2)

    def __repr__(self) -> str:
        return 'Money()'


class Rate(ScaledDecimal):
    """An exchange rate or a percentage with eight decimal places."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(20, 8)

    def __repr__(self) -> str:
        return 'Rate()'


def _exact(value: Any, scale: int) -> Decimal:
    if isinstance(value, float):
        raise TypeError('money and rates must be Decimal, int or str, never float')
    number = Decimal(value)
    quantum = Decimal(1).scaleb(-scale)
    exact = number.quantize(quantum)
    if exact != number:
        raise ValueError(f'{value} has more than {scale} decimal places')
    return exact


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC timestamp on both databases (SQLite would otherwise hand back naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError('timestamps must be timezone-aware')
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == 'sqlite' else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def __repr__(self) -> str:
        return 'UTCDateTime()'


JSONType = sa.JSON().with_variant(JSONB(), 'postgresql')


def enum_type(enum_class: type[enum.Enum]) -> sa.Enum:
    """Store an enum by value in a VARCHAR, so adding a member later needs no migration of a native type."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
