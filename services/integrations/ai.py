"""What every description provider takes and gives: the facts of one watch in, a title and a text out.

Providers (the built-in writer, an OpenAI-compatible chat server, a Make.com scenario) know nothing of the
database: `services/descriptions.py` turns a watch into `WatchFacts` and stores what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LANGUAGES = {'en': 'English', 'sv': 'Svenska'}


@dataclass(frozen=True)
class WatchFacts:
    """Everything a provider may say about a watch; a fact that is None (or empty) is unknown and must not be stated.

    `condition` maps a component (case, dial, hands, crystal, bracelet, movement) to its aspects' grades
    (`{'optical': 'B', 'technical': 'A'}`) on the A-E scale of services/grading.py. `box` and `papers` are
    True or False only when the record says so. `service_history` lists what the record holds, newest first.
    """

    sku: str
    brand: str
    model: str
    reference: str | None = None
    calibre: str | None = None
    movement: str | None = None  # automatic, manual, quartz, spring_drive
    year: int | None = None
    period: str | None = None  # e.g. "circa 1965" when the exact year is not known
    case_material: str | None = None
    case_diameter_mm: float | None = None
    dial: str | None = None
    strap: str | None = None  # bracelet or strap
    gender: str | None = None  # men, women, unisex
    condition: dict[str, dict[str, str]] = field(default_factory=dict)
    overall_grade: str | None = None
    box: bool | None = None
    papers: bool | None = None
    service_history: tuple[str, ...] = ()
    brand_background: str | None = None
    model_background: str | None = None


@dataclass(frozen=True)
class Draft:
    """A listing text in one language."""

    language: str  # a key of LANGUAGES
    title: str
    body: str


@dataclass(frozen=True)
class Usage:
    """Tokens a language model reports for one reply (zero for providers that do not count)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


class ProviderError(Exception):
    """A provider could not give a text; the message is one sentence for the person reading the job's errors.

    `retryable` is True when the same request may succeed later (a timeout, 429, 5xx, a provider that is down).
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
