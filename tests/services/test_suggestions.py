"""Search as you type: the best few watches for a text, exact SKUs, row scope, refusals and text that finds nothing."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch, WatchImage
from services import suggestions
from services.errors import PermissionDenied, ValidationFailed
from services.permissions import Actor
from tests.factories import make_user, make_watch


@dataclasses.dataclass
class Shop:
    manager: Actor
    agent: Actor
    other_agent: Actor
    ids: dict[str, int]

    def sku(self, name: str) -> str:
        with session_scope() as session:
            watch = session.get(Watch, self.ids[name])
            assert watch is not None
            return watch.sku


@pytest.fixture
def shop(db) -> Shop:
    manager, agent, other = make_user(Role.MANAGER), make_user(Role.AGENT), make_user(Role.AGENT)
    # fmt: off
    ids = {
        'sub': make_watch('listed', agent=agent, brand='Rolex', model='Submariner', reference='5513',
                          reference_norm='5513', year=1968, image_count=1),
        'gmt': make_watch('intake', agent=other, brand='Rolex', model='GMT-Master', reference='1675',
                          reference_norm='1675', year=1972),
        'speedy': make_watch('intake', agent=agent, brand='Omega', model='Speedmaster', reference='145.022',
                             reference_norm='145022'),
        'gone': make_watch('intake', agent=agent, brand='Rolex', model='Submariner', reference='5513',
                           reference_norm='5513', deleted_at=datetime(2025, 6, 1, tzinfo=UTC)),
    }
    # fmt: on
    with session_scope() as session:
        session.add(
            WatchImage(watch_id=ids['sub'], position=1, is_primary=True, checksum='c1', content_type='image/jpeg',
                       width=10, height=10, size_bytes=1)
        )  # fmt: skip
    return Shop(manager, agent, other, ids)


def test_a_brand_suggests_its_watches_with_what_the_dropdown_shows(shop: Shop):
    found = suggestions.suggest(shop.manager, 'rolex')
    assert {item.id for item in found.items} == {shop.ids['sub'], shop.ids['gmt']}
    assert (found.total, found.capped, found.exact_id) == (2, False, None)
    sub = next(item for item in found.items if item.id == shop.ids['sub'])
    assert (sub.sku, sub.title, sub.subtitle) == (shop.sku('sub'), 'Rolex Submariner', '5513 · 1968')
    assert sub.stage == 'Listed'
    assert sub.stage_colour.startswith('#')
    assert sub.primary_photo_id is not None
    assert sub.thumbnail == f'/media/photos/{sub.primary_photo_id}/thumb'


def test_a_partial_reference_finds_the_watch(shop: Shop):
    found = suggestions.suggest(shop.manager, '145.0')
    assert [item.id for item in found.items] == [shop.ids['speedy']]
    assert found.items[0].subtitle == '145.022'


def test_a_model_word_finds_the_watch_even_misspelt(shop: Shop):
    assert [item.id for item in suggestions.suggest(shop.manager, 'speedmaster').items] == [shop.ids['speedy']]
    assert [item.id for item in suggestions.suggest(shop.manager, 'speedmastr').items] == [shop.ids['speedy']]


def test_an_exact_sku_in_any_case_is_named_and_comes_first(shop: Shop):
    sku = shop.sku('gmt')
    found = suggestions.suggest(shop.manager, f'  {sku.lower()} ')
    assert found.exact_id == shop.ids['gmt']
    assert found.items[0].id == shop.ids['gmt']


def test_a_sku_prefix_suggests_without_naming_an_exact_match(shop: Shop):
    found = suggestions.suggest(shop.manager, shop.sku('sub')[:-1])
    assert shop.ids['sub'] in {item.id for item in found.items}
    assert found.exact_id is None


def test_the_limit_caps_the_items_but_not_the_total(shop: Shop):
    found = suggestions.suggest(shop.manager, 'rolex', limit=1)
    assert len(found.items) == 1
    assert found.total == 2
    assert len(suggestions.suggest(shop.manager, 'rolex', limit=0).items) == 1
    assert len(suggestions.suggest(shop.manager, 'rolex', limit=10_000).items) == 2


def test_an_agent_is_offered_only_their_own_watches(shop: Shop):
    found = suggestions.suggest(shop.agent, 'rolex')
    assert [item.id for item in found.items] == [shop.ids['sub']]
    assert found.total == 1
    foreign = suggestions.suggest(shop.agent, shop.sku('gmt'))
    assert (foreign.items, foreign.total, foreign.exact_id) == ([], 0, None)


def test_a_deleted_watch_is_never_suggested(shop: Shop):
    assert shop.ids['gone'] not in {item.id for item in suggestions.suggest(shop.manager, '5513').items}


@pytest.mark.parametrize('text', ['', ' ', 'r', '  r  ', '--', '%_*"()', '?!. ;'])
def test_too_little_text_or_only_punctuation_finds_nothing(shop: Shop, text: str):
    assert suggestions.suggest(shop.manager, text) == suggestions.Suggestions()


def test_a_huge_text_is_refused_with_a_sentence(shop: Shop):
    with pytest.raises(ValidationFailed, match='at most 100 characters'):
        suggestions.suggest(shop.manager, 'rolex ' * 2_000)


def test_text_that_looks_like_query_syntax_is_searched_as_text(shop: Shop):
    for text in ('rolex OR 1=1', 'NEAR(rolex', '"rolex', "rolex' --", 'rolex*', 'ro%ex', 'ro_ex'):
        found = suggestions.suggest(shop.manager, text)
        assert found.exact_id is None
        assert found.total == len(found.items) <= 2


def test_a_role_without_inventory_access_is_refused(shop: Shop):
    nobody = dataclasses.replace(shop.manager, permissions=frozenset())
    with pytest.raises(PermissionDenied):
        suggestions.suggest(nobody, 'rolex')
