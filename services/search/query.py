"""What a user typed, made safe for every search engine: words, phrases, prefixes and a normalised reference.

Search text is never handed to an engine as it is. It is cut to `MAX_LENGTH` characters, split into words of
letters and digits only (so quotes, `*`, `-`, `NEAR`, `:` and SQL fragments are just more words or nothing),
and each engine quotes those words in its own syntax. A word written with punctuation inside ("16610-LV",
"311.30.42") stays one phrase; the last word, and any word with a digit in it, also matches as a prefix,
because people type the start of a model as they go and the start of a reference as they know it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from services.reference import normalise_reference
from services.watch_filter import TEXT_MAX_LENGTH as MAX_LENGTH

MAX_TERMS = 12
# A word shorter than this matches only exactly: one letter as a prefix would match half the catalogue.
MIN_PREFIX = 2
# Typos are corrected only in words this long, and only to a word at least this similar.
MIN_FUZZY_LENGTH = 4
MAX_FUZZY_LENGTH = 30
MIN_SIMILARITY = 0.8
_PARTS = re.compile(r'[^\W_]+')


@dataclass(frozen=True)
class Term:
    """One typed word as the lower-case parts between its punctuation, matched as a phrase."""

    parts: tuple[str, ...]
    prefix: bool

    @property
    def word(self) -> str:
        return ' '.join(self.parts)

    @property
    def correctable(self) -> bool:
        """A single word of letters, long enough that a near miss is more likely a typo than another word."""
        word = self.parts[0]
        return len(self.parts) == 1 and word.isalpha() and MIN_FUZZY_LENGTH <= len(word) <= MAX_FUZZY_LENGTH


@dataclass(frozen=True)
class Query:
    """The parsed text: `terms` must all match. `typed` (trimmed), `compact` (without spaces, upper case) and
    `reference` (letters and digits only, upper case) are what serial, SKU and reference lookups compare."""

    terms: tuple[Term, ...]
    typed: str
    compact: str
    reference: str

    @property
    def empty(self) -> bool:
        return not self.terms

    def with_term(self, index: int, word: str) -> Query:
        terms = list(self.terms)
        terms[index] = replace(terms[index], parts=(word,))
        return replace(self, terms=tuple(terms))


def parse(text: str | None) -> Query:
    """The query for `text`; blank text or text with no letters or digits gives an empty query."""
    text = (text or '')[:MAX_LENGTH].strip()
    words = [parts for parts in (tuple(_PARTS.findall(word.lower())) for word in text.split()) if parts]
    words = words[:MAX_TERMS]
    terms = tuple(
        Term(parts, prefix=len(''.join(parts)) >= MIN_PREFIX and (n == len(words) - 1 or _has_digit(parts)))
        for n, parts in enumerate(words)
    )
    return Query(terms, typed=text, compact=''.join(text.split()).upper(), reference=normalise_reference(text))


def closest(term: Term, candidates: Iterable[str]) -> str | None:
    """The candidate word nearest to the (single-word) term, if any is near enough to be what was meant.

    A prefix term is also compared with the start of each candidate, so a typo while typing is forgiven too.
    """
    word = term.parts[0]
    best, score = None, MIN_SIMILARITY
    for candidate in candidates:
        if candidate == word or not candidate.isalpha():
            continue
        similarity = _similarity(word, candidate)
        if term.prefix and len(candidate) > len(word):
            similarity = max(similarity, _similarity(word, candidate[: len(word)]))
        if similarity > score:
            best, score = candidate, similarity
    return best


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _has_digit(parts: tuple[str, ...]) -> bool:
    return any(character.isdigit() for part in parts for character in part)
