"""Closed vocabularies stored by value; labels and colours for screens live in `components/`."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = 'admin'
    MANAGER = 'manager'
    FINANCE = 'finance'
    AGENT = 'agent'
    SELLER = 'seller'


class ContactKind(enum.StrEnum):
    PERSON = 'person'
    COMPANY = 'company'


class LocationKind(enum.StrEnum):
    OFFICE = 'office'
    WAREHOUSE = 'warehouse'
    AGENT = 'agent'
    WATCHMAKER = 'watchmaker'
    IN_TRANSIT = 'in_transit'


class Movement(enum.StrEnum):
    AUTOMATIC = 'automatic'
    MANUAL = 'manual'
    QUARTZ = 'quartz'
    SPRING_DRIVE = 'spring_drive'


class Gender(enum.StrEnum):
    MEN = 'men'
    WOMEN = 'women'
    UNISEX = 'unisex'


class BatchStatus(enum.StrEnum):
    OPEN = 'open'
    PACKED = 'packed'
    SHIPPED = 'shipped'
    DELIVERED = 'delivered'


class Platform(enum.StrEnum):
    CATAWIKI = 'catawiki'
    TRADERA = 'tradera'


class ListingStatus(enum.StrEnum):
    DRAFT = 'draft'
    EXPORTED = 'exported'
    LIVE = 'live'
    SOLD = 'sold'
    UNSOLD = 'unsold'
    WITHDRAWN = 'withdrawn'
    ERROR = 'error'


class ShipmentStatus(enum.StrEnum):
    DRAFT = 'draft'
    LABEL_CREATED = 'label_created'
    IN_TRANSIT = 'in_transit'
    DELIVERED = 'delivered'
    EXCEPTION = 'exception'
    CANCELLED = 'cancelled'


class TransactionType(enum.StrEnum):
    PURCHASE = 'purchase'
    SALE = 'sale'
    PLATFORM_FEE = 'platform_fee'
    SHIPPING = 'shipping'
    SERVICE = 'service'
    AGENT_COMMISSION = 'agent_commission'
    SELLER_COMMISSION = 'seller_commission'
    ADVANCE = 'advance'
    PAYOUT = 'payout'
    REFUND = 'refund'
    ADJUSTMENT = 'adjustment'
    REVERSAL = 'reversal'


class CommissionBasis(enum.StrEnum):
    SALE_PRICE = 'sale_price'
    GROSS_PROFIT = 'gross_profit'


class JobStatus(enum.StrEnum):
    QUEUED = 'queued'
    RUNNING = 'running'
    SUCCEEDED = 'succeeded'
    FAILED = 'failed'
    CANCELLED = 'cancelled'
    INTERRUPTED = 'interrupted'


class TokenScope(enum.StrEnum):
    READ = 'read'
    READ_WRITE = 'read-write'
