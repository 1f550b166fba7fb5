"""The built-in writer: every known fact in the text, nothing the record does not say, varied but repeatable."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from services.integrations.ai import WatchFacts
from services.integrations.writer import translate, write

FULL = WatchFacts(
    sku='W-000123',
    brand='Omega',
    model='Seamaster',
    reference='166.010',
    calibre='Omega 565',
    movement='automatic',
    year=1968,
    case_material='stainless steel',
    case_diameter_mm=34.0,
    dial='Black gilt',
    strap='Brown leather strap',
    gender='men',
    condition={'case': {'optical': 'B'}, 'movement': {'optical': 'A', 'technical': 'C'}},
    overall_grade='B',
    box=True,
    papers=True,
    service_history=('2019-05-01: Full service (Urmakare Holm, Stockholm)',),
    brand_background='Omega was founded in Biel in 1848.',
    model_background='The Omega Seamaster reference 166.010 was made from 1966 to 1970 with calibre Omega 565.',
)
BARE = WatchFacts(sku='W-000124', brand='Seiko', model='Presage')
# words that need a fact behind them, in both languages
UNSAID = ('box', 'papers', 'ask', 'papper', 'service', 'mm', 'calibre', 'kaliber', 'condition', 'skick', 'dial',
          'urtavla', 'strap', 'armband', 'movement', 'urverk', 'graded', 'reference', 'referens')  # fmt: skip


def _text(facts: WatchFacts, language: str) -> str:
    draft = write(facts, language)
    assert draft.language == language
    return f'{draft.title}\n{draft.body}'


@pytest.mark.parametrize(
    ('language', 'expected'),
    [
        (
            'en',
            ['Omega', 'Seamaster', '166.010', 'Omega 565', 'automatic', '1968', 'stainless steel', '34 mm',
             'black gilt', 'brown leather strap', "men's watch", 'very good (B)', 'excellent (A) cosmetically',
             'good (C) technically', 'box and papers', '2019-05-01: Full service (Urmakare Holm, Stockholm)',
             'founded in Biel in 1848', 'made from 1966 to 1970'],
        ),
        (
            'sv',
            ['Omega', 'Seamaster', '166.010', 'Omega 565', 'automatiskt urverk', '1968', 'rostfritt stål', '34 mm',
             'svart med förgyllt tryck', 'brunt läderarmband', 'herrur', 'mycket gott (B)', 'utmärkt (A) optiskt',
             'gott (C) tekniskt', 'ask och papper', '2019-05-01: Full service (Urmakare Holm, Stockholm)'],
        ),
    ],
)  # fmt: skip
def test_every_fact_in_the_record_is_in_the_text(language, expected):
    text = _text(FULL, language).lower()
    missing = [fact for fact in expected if fact.lower() not in text]
    assert missing == []


def test_swedish_texts_leave_out_the_english_background_rather_than_mix_languages():
    text = _text(FULL, 'sv')
    assert 'founded' not in text and 'was made' not in text


@pytest.mark.parametrize('language', ['en', 'sv'])
def test_nothing_is_stated_that_the_record_does_not_hold(language):
    text = _text(BARE, language).lower()
    assert 'seiko presage' in text
    assert not re.search(r'\b(1[89]|20)\d\d\b', text), 'a year the record does not hold'
    for word in UNSAID:
        assert not re.search(rf'\b{word}\b', text), f'"{word}" without the fact behind it'


def test_a_box_the_record_says_is_missing_is_said_so_and_papers_it_is_silent_on_are_not_mentioned():
    text = _text(replace(BARE, box=False), 'en')
    assert 'without the box' in text and 'papers' not in text
    assert 'utan ask' in _text(replace(BARE, box=False), 'sv')


def test_a_period_stands_in_for_an_unknown_year():
    assert 'from the 1960s' in _text(replace(BARE, period='1960s'), 'en')
    assert 'från 1960-talet' in _text(replace(BARE, period='1960s'), 'sv')
    assert 'circa 1965' in _text(replace(BARE, period='circa 1965'), 'en')
    assert 'cirka 1965' in _text(replace(BARE, period='circa 1965'), 'sv')


def test_the_same_watch_always_gets_the_same_text():
    assert write(FULL, 'en') == write(replace(FULL), 'en')


def test_phrasing_varies_between_watches():
    texts = {write(replace(FULL, sku=f'W-{number:06d}'), 'en') for number in range(40)}
    openings = {draft.body.split('\n')[0] for draft in texts}
    titles = {draft.title for draft in texts}
    assert len(openings) >= 3 and len(titles) >= 2


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match='"de"'):
        write(FULL, 'de')


def test_record_words_are_translated_only_when_every_word_is_known():
    assert translate('18k yellow gold', 'sv') == '18 k gult guld'
    assert translate('Panda (silver, black registers)', 'sv') == 'panda (silver, svart subdialer)'
    assert translate('Tropical brown dial', 'sv') == 'Tropical brown dial'
    assert translate('Tropical brown dial', 'en') == 'Tropical brown dial'
