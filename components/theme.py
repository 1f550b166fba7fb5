"""Colours, fonts and class fragments: the one place the look of the product is decided."""

from __future__ import annotations

from nicegui import ui

PRIMARY = '#1f2937'
PRIMARY_ON_DARK = '#8c6a3a'  # brass, dark enough for white button text (4.9:1)
ACCENT = '#b08d57'
POSITIVE = '#15803d'
NEGATIVE = '#b91c1c'
DARK = '#1c1917'
DARK_PAGE = '#0c0a09'

_PAGE = 'w-full mx-auto p-4 md:p-6 gap-6'
PAGE = f'{_PAGE} max-w-7xl'
NARROW_PAGE = f'{_PAGE} max-w-3xl'
TITLE = 'text-2xl font-semibold tracking-tight'
SUBTITLE = 'text-sm text-stone-500 dark:text-stone-400'
CARD = 'w-full p-4 gap-2 shadow-sm'
CARD_TITLE = 'text-base font-medium'
MUTED = 'text-stone-500 dark:text-stone-400'
PROBLEM = 'w-full items-start gap-2 no-wrap rounded px-3 py-2 bg-red-50 text-red-800'

# Tabular figures line up in tables. In dark mode the near-black primary would vanish, so it turns to brass
# (`!important` because `ui.colors` sets the variable inline on the body).
_CSS = f"""
body {{ font-feature-settings: "tnum"; }}
.nicegui-content {{ padding: 0; }}
body.body--dark {{ --q-primary: {PRIMARY_ON_DARK} !important; }}
.q-uploader__subtitle {{ display: none; }}  /* files upload at once: the "0.0B / 0.00%" tally says nothing */
"""


def apply() -> None:
    """Brand colours and the few global rules for Quasar components on the current page."""
    ui.colors(
        primary=PRIMARY,
        secondary=ACCENT,
        accent=ACCENT,
        positive=POSITIVE,
        negative=NEGATIVE,
        dark=DARK,
        dark_page=DARK_PAGE,
    )
    ui.button.default_props('no-caps')
    ui.add_css(_CSS, shared=False)
