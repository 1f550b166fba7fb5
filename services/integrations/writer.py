"""The built-in description writer: a listing title and text from the record alone, in English or Swedish.

It needs no network and no key, so every installation can describe its stock. It states only what the record
holds (None or empty is unknown and left out; box and papers are mentioned only when the record says so) and
varies its phrasing between watches: each choice is drawn from the SKU, so the same watch always gets the same
text and a page of listings does not read like one sentence repeated.

The record's free text (case material, dial, strap) is in English; Swedish texts translate it word by word from
a small glossary and keep the record's own words when a term is not in it. The brand and model background of
services/reference.py is English only, so Swedish texts leave it out rather than mix languages.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

from services.integrations.ai import LANGUAGES, Draft, WatchFacts

GRADES = {
    'en': {'A': 'excellent', 'B': 'very good', 'C': 'good', 'D': 'fair', 'E': 'poor'},
    'sv': {'A': 'utmärkt', 'B': 'mycket gott', 'C': 'gott', 'D': 'godtagbart', 'E': 'dåligt'},
}
GRADE_NOTES = {
    'en': {
        'A': 'like new, no visible wear',
        'B': 'light signs of use',
        'C': 'visible wear, fully functional',
        'D': 'heavy wear or in need of a service',
        'E': 'damaged or not working',
    },
    'sv': {
        'A': 'som ny, utan synligt slitage',
        'B': 'lätta bruksspår',
        'C': 'synligt slitage, fullt fungerande',
        'D': 'kraftigt slitage eller i behov av service',
        'E': 'skadad eller ur funktion',
    },
}
COMPONENTS = {
    'en': {'case': 'case', 'dial': 'dial', 'hands': 'hands', 'crystal': 'crystal', 'bracelet': 'strap/bracelet',
           'movement': 'movement'},
    'sv': {'case': 'boett', 'dial': 'urtavla', 'hands': 'visare', 'crystal': 'glas', 'bracelet': 'armband',
           'movement': 'urverk'},
}  # fmt: skip
ASPECTS = {'en': {'optical': 'cosmetically', 'technical': 'technically'},
           'sv': {'optical': 'optiskt', 'technical': 'tekniskt'}}  # fmt: skip
MOVEMENTS = {
    'en': {'automatic': 'automatic (self-winding) movement', 'manual': 'hand-wound movement',
           'quartz': 'quartz movement', 'spring_drive': 'Spring Drive movement'},
    'sv': {'automatic': 'automatiskt urverk', 'manual': 'handuppdraget urverk', 'quartz': 'kvartsurverk',
           'spring_drive': 'Spring Drive-urverk'},
}  # fmt: skip
GENDERS = {'en': {'men': "men's watch", 'women': "ladies' watch", 'unisex': 'unisex watch'},
           'sv': {'men': 'herrur', 'women': 'damur', 'unisex': 'unisexur'}}  # fmt: skip
# English record words -> Swedish; the longest phrase wins, and a text with any word not listed stays as it is.
GLOSSARY = {
    'stainless steel': 'rostfritt stål', 'steel': 'stål', 'yellow gold': 'gult guld', 'white gold': 'vitt guld',
    'rose gold': 'roséguld', 'red gold': 'rött guld', 'gold': 'guld', 'platinum': 'platina', 'titanium': 'titan',
    'silver vermeil': 'förgyllt silver', 'silver': 'silver', 'bronze': 'brons', 'ceramic': 'keramik',
    'gold plated': 'guldpläterad', 'and': 'och', 'with': 'med', '18k': '18 k', '14k': '14 k', '9k': '9 k',
    'black': 'svart', 'blue': 'blå', 'brown': 'brun', 'champagne': 'champagnefärgad', 'cream': 'krämvit',
    'grey': 'grå', 'gray': 'grå', 'green': 'grön', 'orange': 'orange', 'red': 'röd', 'white': 'vit', 'yellow': 'gul',
    'gilt': 'med förgyllt tryck', 'matte': 'matt', 'gloss': 'blank', 'sunburst': 'med solfjäderslipning',
    'enamel': 'emalj', 'panda': 'panda', 'reverse': 'omvänd', 'registers': 'subdialer', 'tricolour': 'trefärgade',
    'platinum grey': 'platinagrå', 'bracelet': 'länk', 'steel bracelet': 'stållänk', 'gold bracelet': 'guldlänk',
    'titanium bracelet': 'titanlänk', 'steel mesh bracelet': 'milanesisk stållänk', 'jubilee bracelet': 'jubileelänk',
    'oyster bracelet': 'oysterlänk', 'strap': 'armband', 'leather strap': 'läderarmband',
    'rubber strap': 'gummiarmband',
    'alligator strap': 'alligatorarmband', 'nato strap': 'NATO-armband', 'fabric strap': 'textilarmband',
    'brown leather strap': 'brunt läderarmband', 'brown alligator strap': 'brunt alligatorarmband',
    'black leather strap': 'svart läderarmband', 'black alligator strap': 'svart alligatorarmband',
    'circa': 'cirka', 'about': 'omkring', 'early': 'tidigt', 'late': 'sent',
}  # fmt: skip
_PHRASES = sorted((tuple(key.split()) for key in GLOSSARY), key=len, reverse=True)
_TOKEN = re.compile(r"[\w'-]+|[^\w\s]")
_DECADE = re.compile(r'^(\d{3}0)s$')


def write(facts: WatchFacts, language: str) -> Draft:
    """A title and a listing text for the watch in `language` (a key of LANGUAGES)."""
    if language not in LANGUAGES:
        raise ValueError(f'No built-in texts in "{language}"; choose one of {", ".join(LANGUAGES)}.')
    words = _Words(facts, language)
    return Draft(language=language, title=_title(words), body=_body(words))


def translate(text: str, language: str) -> str:
    """The record's English words in `language`, or the text as it is when a word is not in the glossary."""
    if language == 'en':
        return text
    tokens, out, index = _TOKEN.findall(text), [], 0
    lowered = [token.lower() for token in tokens]
    while index < len(tokens):
        phrase = next((p for p in _PHRASES if tuple(lowered[index : index + len(p)]) == p), None)
        if phrase:
            out.append(GLOSSARY[' '.join(phrase)])
            index += len(phrase)
        elif re.fullmatch(r'[\d.,]+|[^\w\s]', tokens[index]):
            out.append(tokens[index])
            index += 1
        else:
            return text
    return re.sub(r' ([,.)])|(\() ', r'\1\2', ' '.join(out))


def grade_words(grade: str, language: str) -> str:
    """A grade letter in words ("very good (B)"); an unknown letter as it is."""
    word = GRADES[language].get(grade)
    return f'{word} ({grade})' if word else grade


def condition_lines(facts: WatchFacts, language: str) -> list[str]:
    """Each graded component in words: "case: very good (B) cosmetically"."""
    lines = []
    for component, aspects in facts.condition.items():
        graded = [
            f'{grade_words(grade, language)} {ASPECTS[language].get(aspect, aspect)}'
            for aspect, grade in aspects.items()
            if grade
        ]
        if graded:
            name = COMPONENTS[language].get(component, component)
            lines.append(f'{name}: {_join(graded, language)}')
    return lines


def when(facts: WatchFacts, language: str) -> str | None:
    """The year, or the period in words ("from the 1960s", "circa 1965"); None when neither is known."""
    if facts.year:
        return str(facts.year)
    if not facts.period:
        return None
    decade = _DECADE.match(facts.period.strip())
    if decade:
        return f'from the {facts.period.strip()}' if language == 'en' else f'från {decade[1]}-talet'
    return translate(facts.period, language)


def case_words(facts: WatchFacts, language: str) -> str | None:
    """Size and material ("36 mm, stainless steel"); None when neither is known."""
    size = f'{facts.case_diameter_mm:g} mm' if facts.case_diameter_mm else None
    material = translate(facts.case_material, language) if facts.case_material else None
    return ', '.join(part for part in (size, material) if part) or None


def box_papers_words(facts: WatchFacts, language: str) -> str | None:
    """What the record says of box and papers; None when it says nothing."""
    en = language == 'en'
    if facts.box and facts.papers:
        return 'with the box and papers' if en else 'med ask och papper'
    parts = []
    if facts.box is not None:
        parts.append(
            ('with the box' if facts.box else 'without the box') if en else ('med ask' if facts.box else 'utan ask')
        )
    if facts.papers is not None:
        parts.append(
            ('with the papers' if facts.papers else 'without papers')
            if en
            else ('med papper' if facts.papers else 'utan papper')
        )
    return _join(parts, language) or None


def movement_words(facts: WatchFacts, language: str) -> str | None:
    """The kind of movement in words; None when unknown."""
    return MOVEMENTS[language].get(facts.movement, facts.movement) if facts.movement else None


# --- composing ---------------------------------------------------------------------------------------------------


class _Words:
    """The facts of one watch as phrases in one language, and the SKU-seeded choice between phrasings."""

    def __init__(self, facts: WatchFacts, language: str) -> None:
        self.facts, self.language, self.en = facts, language, language == 'en'
        self.name = ' '.join(part for part in (facts.brand, facts.model) if part)
        self.when = when(facts, language)
        self.case = case_words(facts, language)
        self.dial = translate(facts.dial, language) if facts.dial else None
        self.strap = translate(facts.strap, language) if facts.strap else None
        self.movement = movement_words(facts, language)
        self.gender = GENDERS[language].get(facts.gender) if facts.gender else None

    def pick(self, slot: str, options: Sequence[str]) -> str:
        """One of `options`, always the same for this SKU and slot."""
        return options[zlib.crc32(f'{self.facts.sku}:{slot}'.encode()) % len(options)]

    def say(self, slot: str, english: Sequence[str], swedish: Sequence[str]) -> str:
        """One phrasing of a sentence in the text's language."""
        return self.pick(slot, english if self.en else swedish)


def _title(w: _Words) -> str:
    f = w.facts
    name = f'{w.name} {f.reference}' if f.reference else w.name
    material = translate(f.case_material, w.language) if f.case_material else None
    year = str(f.year) if f.year else (f.period if f.period and _DECADE.match(f.period.strip()) else None)
    if year and not w.en and _DECADE.match(year):
        year = f'{year[:4]}-tal'
    shapes = [
        ' '.join(p for p in (name, f'({year})' if year else None) if p),
        ', '.join(p for p in (name, year, material) if p),
        ' – '.join(p for p in (f'{year} {name}' if year and w.en else name, material) if p),
    ]
    extra = box_papers_words(f, w.language) if f.box and f.papers else None
    title = w.pick('title', shapes)
    return f'{title}, {extra}' if extra else title


def _body(w: _Words) -> str:
    paragraphs = [_opening(w), _background(w), _build(w), _condition(w), _extras(w)]
    return '\n\n'.join(p for p in paragraphs if p)


def _opening(w: _Words) -> str:
    f = w.facts
    kind = w.gender or ('watch' if w.en else 'ur')
    if w.en:
        ref = f' reference {f.reference}' if f.reference else ''
        made = f', made in {w.when}' if f.year else (f', {w.when}' if w.when else '')
        return w.pick(
            'opening',
            [
                f'For sale: {w.name}{ref}{made}.',
                f'This is the {w.name}{ref}{made}' + (f', {_a(w.gender)}.' if w.gender else '.'),
                f'On offer is {_a(w.name)}{ref}{made}.',
                f'{_a(kind).capitalize()} from {f.brand}: the {f.model}{ref}{made}.',
            ],
        )
    ref = f' referens {f.reference}' if f.reference else ''
    made = f', tillverkad {w.when}' if f.year else (f', {w.when}' if w.when else '')
    return w.pick(
        'opening',
        [
            f'Till salu: {w.name}{ref}{made}.',
            f'Här erbjuds en {w.name}{ref}{made}' + (f', ett {w.gender}.' if w.gender else '.'),
            f'Vi säljer en {w.name}{ref}{made}.',
            f'Ett {kind} från {f.brand}: {f.model}{ref}{made}.',
        ],
    )


def _background(w: _Words) -> str | None:
    if not w.en:
        return None
    return ' '.join(text.strip() for text in (w.facts.brand_background, w.facts.model_background) if text) or None


def _build(w: _Words) -> str | None:
    f, sentences = w.facts, []
    if w.case:
        sentences.append(w.say('case', [_case_sentence(f), f'Case: {w.case}.'], [f'Boett: {w.case}.']))
    if w.dial:
        dial = _lower_first(w.dial)
        sentences.append(w.say('dial', [f'The dial is {dial}.', f'Dial: {w.dial}.'], [f'Urtavlan är {dial}.']))
    if w.strap:
        strap = _lower_first(w.strap)
        sentences.append(
            w.say(
                'strap',
                [f'It is fitted with {_a(strap)}.', f'It comes on {_a(strap)}.'],
                [f'Armband: {w.strap}.', f'Den sitter på {strap}.'],
            )
        )
    if f.calibre and w.movement:
        en, sv = (
            f'It runs on calibre {f.calibre}, {_a(w.movement)}.',
            f'Urverket är kaliber {f.calibre}, ett {w.movement}.',
        )
        sentences.append(en if w.en else sv)
    elif f.calibre:
        sentences.append(f'Calibre: {f.calibre}.' if w.en else f'Kaliber: {f.calibre}.')
    elif w.movement:
        sentences.append(f'It has {_a(w.movement)}.' if w.en else f'Det har ett {w.movement}.')
    return ' '.join(sentences) or None


def _condition(w: _Words) -> str | None:
    f, sentences = w.facts, []
    if f.overall_grade:
        note = GRADE_NOTES[w.language].get(f.overall_grade)
        words = grade_words(f.overall_grade, w.language) + (f' – {note}' if note else '')
        sentences.append(
            w.say(
                'grade',
                [f'Overall condition: {words}.', f'The watch is graded {words}.'],
                [f'Skick totalt: {words}.', f'Klockans skick: {words}.'],
            )
        )
    lines = condition_lines(f, w.language)
    if lines:
        sentences.append(('Graded by part: ' if w.en else 'Graderat per del: ') + '; '.join(lines) + '.')
    return ' '.join(sentences) or None


def _extras(w: _Words) -> str | None:
    f, sentences = w.facts, []
    box_papers = box_papers_words(f, w.language)
    if box_papers:
        sentences.append(f'Sold {box_papers}.' if w.en else f'Säljs {box_papers}.')
    if f.service_history:
        visits = '; '.join(f.service_history)
        sentences.append(
            w.say(
                'service',
                [f'Service history: {visits}.', f'Recorded service: {visits}.'],
                [f'Servicehistorik: {visits}.', f'Dokumenterad service: {visits}.'],
            )
        )
    return ' '.join(sentences) or None


def _join(parts: Sequence[str], language: str) -> str:
    """The parts as "a, b and c" in the language."""
    if len(parts) < 2:
        return ''.join(parts)
    return f'{", ".join(parts[:-1])} {"and" if language == "en" else "och"} {parts[-1]}'


def _case_sentence(facts: WatchFacts) -> str:
    """The case in an English sentence ("The 37 mm case is stainless steel.")."""
    size = f'{facts.case_diameter_mm:g} mm' if facts.case_diameter_mm else None
    if size and facts.case_material:
        return f'The {size} case is {facts.case_material}.'
    return f'The case measures {size}.' if size else f'The case is {facts.case_material}.'


def _lower_first(text: str) -> str:
    """A record's capitalised phrase inside a sentence ("Black gilt" -> "black gilt"), keeping acronyms ("NATO")."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _a(phrase: str) -> str:
    """The English indefinite article before a phrase."""
    return f'{"an" if phrase[:1].lower() in "aeiou" else "a"} {phrase}'
