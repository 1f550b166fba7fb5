"""How a list of watches looks in any table: headings, thumbnail, SKU link, stage badge, formatted money."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from components import format
from services import inventory, watch_order

HEADINGS = {
    'primary_photo_id': '',
    'sku': 'SKU',
    'brand': 'Brand',
    'model': 'Model',
    'reference': 'Reference',
    'year': 'Year',
    'stage': 'Stage',
    'location': 'Location',
    'batch': 'Batch',
    'condition_grade': 'Grade',
    'asking_price': 'Asking price',
    'purchase_cost_base': 'Cost',
    'image_count': 'Photos',
    'created_at': 'Created (UTC)',
    'agent': 'Agent',
}
_RIGHT = {'asking_price', 'purchase_cost_base', 'image_count', 'year'}
# Long names wrap onto a second line instead of pushing the money columns out of a 1280 px screen.
_WRAPPING = {'model', 'location', 'batch', 'agent'}
_WRAP_STYLE = 'white-space: normal; min-width: 6rem; max-width: 11rem'
_THUMB_SLOT = """<q-td :props="props" class="w-12">
  <img v-if="props.value" :src="'/media/photos/' + props.value + '/thumb'" alt=""
       class="w-10 h-10 object-cover rounded" loading="lazy"/>
  <div v-else class="w-10 h-10 rounded bg-stone-100 dark:bg-stone-800 flex items-center justify-center">
    <q-icon name="watch" class="text-stone-400"/></div>
</q-td>"""
_SKU_SLOT = """<q-td :props="props">
  <a :href="'/watches/' + props.row.id" class="font-mono font-medium text-amber-900 dark:text-amber-300
     no-underline hover:underline" @click.stop>{{ props.value }}</a>
</q-td>"""
_STAGE_SLOT = """<q-td :props="props">
  <q-badge :style="{background: props.row.stage_colour}" :label="props.value" class="px-2 py-1"/>
</q-td>"""


def column_defs(names: list[str]) -> list[dict[str, Any]]:
    """QTable columns for the chosen names; only the ones the service can sort by get a sort arrow."""
    return [
        {
            'name': name,
            'label': HEADINGS[name],
            'field': name,
            'sortable': name in watch_order.SORTS,
            'align': 'right' if name in _RIGHT else 'left',
            **({'style': _WRAP_STYLE} if name in _WRAPPING else {}),
        }
        for name in names
    ]


def decorate(table: ui.table) -> None:
    """The cells that are more than text: photo thumbnail, SKU as a link to the watch, stage as a badge."""
    table.add_slot('body-cell-primary_photo_id', _THUMB_SLOT)
    table.add_slot('body-cell-sku', _SKU_SLOT)
    table.add_slot('body-cell-stage', _STAGE_SLOT)


def row(item: inventory.WatchRow, currency: str) -> dict[str, Any]:
    """One watch as table cells; `currency` is the base currency costs are kept in."""
    return {
        **item.model_dump(mode='json', include={'id', 'sku', 'brand', 'model', 'year', 'stage', 'stage_colour',
                                                'condition_grade', 'image_count', 'primary_photo_id'}),
        'reference': item.reference or '—',
        'location': item.location or '—',
        'batch': item.batch or '—',
        'agent': item.agent or '—',
        'asking_price': format.money(item.asking_price, item.price_currency or currency),
        'purchase_cost_base': format.money(item.purchase_cost_base, currency),
        'created_at': format.when(item.created_at).removesuffix(' UTC'),
    }  # fmt: skip
