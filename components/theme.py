"""Colours, fonts and class fragments: the one place the look of the product is decided."""

from __future__ import annotations

from nicegui import ui

PRIMARY = '#1f2937'
ACCENT = '#b08d57'
POSITIVE = '#15803d'
NEGATIVE = '#b91c1c'

PAGE = 'w-full max-w-7xl mx-auto p-4 md:p-6 gap-6'
TITLE = 'text-2xl font-semibold tracking-tight'
SUBTITLE = 'text-sm text-stone-500 dark:text-stone-400'
CARD = 'w-full p-4 gap-2 shadow-sm'


def apply() -> None:
    """Brand colours for Quasar components on the current page."""
    ui.colors(primary=PRIMARY, secondary=ACCENT, accent=ACCENT, positive=POSITIVE, negative=NEGATIVE)
    ui.add_head_html('<style>body{font-feature-settings:"tnum";} .nicegui-content{padding:0}</style>')
