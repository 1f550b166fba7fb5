"""The curated table of real brands and models (`assets/reference/watches.json`), loaded and checked once.

Intake autofill looks a typed reference up here, the demo generator draws its watches from it, and the
description writer takes a brand's background from it. References are compared in one normalised form,
so "16610 LV", "16610-LV" and "16610lv" are the same watch; `Watch.reference_norm` stores that form.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config import ROOT
from db.enums import Movement

REFERENCE_FILE = ROOT / 'assets' / 'reference' / 'watches.json'
_NOISE = re.compile(r'[^0-9A-Za-z]+')


def normalise_reference(text: str) -> str:
    """Upper-case letters and digits only: "16610 LV", "16610-LV" and "3700/1A" match however typed."""
    return _NOISE.sub('', text).upper()


class Brand(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=60)
    country: str = Field(pattern=r'^[A-Z]{2}$')
    founded: int = Field(ge=1700, le=2100)
    background: str = Field(min_length=20)


class WatchModel(BaseModel):
    """One reference: what intake fills in and what the demo data is drawn from."""

    model_config = ConfigDict(frozen=True)

    brand: str
    model: str = Field(min_length=1, max_length=120)
    reference: str = Field(min_length=1, max_length=60)
    calibre: str = Field(min_length=1, max_length=60)
    movement: Movement
    year_from: int = Field(ge=1900, le=2100)
    year_to: int = Field(ge=1900, le=2100)
    case_material: str = Field(min_length=1, max_length=60)
    diameter_mm: float = Field(ge=15, le=60)
    price_low_eur: Decimal = Field(gt=0)
    price_high_eur: Decimal = Field(gt=0)
    dials: tuple[str, ...] = ()

    @property
    def reference_norm(self) -> str:
        return normalise_reference(self.reference)

    @model_validator(mode='after')
    def _ranges(self) -> WatchModel:
        if self.year_from > self.year_to:
            raise ValueError(f'{self.reference}: year_from is after year_to')
        if self.price_low_eur >= self.price_high_eur:
            raise ValueError(f'{self.reference}: price_low_eur must be below price_high_eur')
        return self


class ReferenceTable(BaseModel):
    """The whole file; refuses unknown brands and references that collide once normalised."""

    brands: tuple[Brand, ...]
    models: tuple[WatchModel, ...]

    @model_validator(mode='after')
    def _consistent(self) -> ReferenceTable:
        names = [brand.name for brand in self.brands]
        if len(set(names)) != len(names):
            raise ValueError('brand names must be unique')
        seen: dict[str, str] = {}
        for model in self.models:
            if model.brand not in names:
                raise ValueError(f'{model.reference}: unknown brand "{model.brand}"')
            if (other := seen.setdefault(model.reference_norm, model.reference)) != model.reference:
                raise ValueError(f'references {other} and {model.reference} are the same once normalised')
        return self


@lru_cache(maxsize=1)
def table() -> ReferenceTable:
    """The validated table, read once per process (it is part of the release, not edited at run time)."""
    data = json.loads(REFERENCE_FILE.read_text(encoding='utf-8'))
    return ReferenceTable.model_validate({'brands': data['brands'], 'models': data['models']})


@lru_cache(maxsize=1)
def _by_norm() -> dict[str, WatchModel]:
    return {model.reference_norm: model for model in table().models}


def brands() -> tuple[Brand, ...]:
    return table().brands


def models(brand: str) -> list[WatchModel]:
    """The models of a brand, matched without regard to case; empty for an unknown brand."""
    wanted = brand.strip().casefold()
    return [model for model in table().models if model.brand.casefold() == wanted]


def by_reference(reference: str) -> WatchModel | None:
    """The model with this reference however it is typed, or None."""
    return _by_norm().get(normalise_reference(reference))
