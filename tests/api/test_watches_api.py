"""Watches, photos, batches, locations and jobs over the API: the screens' services and rules, refusals as
problems with the field named, and nothing written by a refused request."""

from __future__ import annotations

import io
from decimal import Decimal

import httpx
from PIL import Image
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role, TokenScope
from db.inventory import Watch, WatchImage
from services import jobs, places, workflow
from tests.api.conftest import assert_problem, person
from tests.factories import make_watch


def _watch(watch_id: int) -> Watch:
    with session_scope() as session:
        watch = session.get(Watch, watch_id)
        assert watch is not None
        session.expunge(watch)
        return watch


def _count() -> int:
    with session_scope() as session:
        return len(session.exec(select(Watch.id)).all())


def _stage(key: str) -> int:
    return next(stage.id for stage in workflow.stages() if stage.key == key)


def _photo(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new('RGB', (64, 48), (shade, 60, 90)).save(buffer, 'JPEG')
    return buffer.getvalue()


async def test_the_list_filters_searches_sorts_and_pages_like_the_screen(client: httpx.AsyncClient):
    _, headers = person(Role.MANAGER)
    for number in range(5):
        make_watch(brand='Omega', model=f'Seamaster {number}', asking_price=Decimal(100 * number), price_currency='EUR')
    make_watch(brand='Rolex', model='Datejust')
    page = (await client.get('/watches', headers=headers, params={'brands': 'Omega', 'sort': 'asking_price',
                                                                   'page': 2, 'per_page': 2})).json()  # fmt: skip
    assert page['total'] == 5 and page['total_capped'] is False and page['page'] == 2 and page['per_page'] == 2
    assert [item['model'] for item in page['items']] == ['Seamaster 2', 'Seamaster 3']
    newest = (await client.get('/watches', headers=headers, params={'sort': '-created_at'})).json()
    assert newest['items'][0]['brand'] == 'Rolex' and newest['total'] == 6
    both = await client.get('/watches', headers=headers, params=[('brands', 'Omega'), ('brands', 'Rolex')])
    assert both.json()['total'] == 6
    found = (await client.get('/watches', headers=headers, params={'q': 'datejust'})).json()
    assert [item['model'] for item in found['items']] == ['Datejust']


async def test_list_parameters_out_of_range_are_refused_by_name(client: httpx.AsyncClient):
    _, headers = person()
    cases = {
        'per_page': ({'per_page': 101}, 'Must be at most 100.'),
        'page': ({'page': 0}, 'Must be at least 1.'),
        'sort': ({'sort': 'colour'}, 'Sort by one of'),
        'condition_grades': ({'condition_grades': 'Z'}, "Unknown grade 'Z'"),
        'colour': ({'colour': 'red'}, 'Not a field of this request'),
        'stage_ids': ({'stage_ids': 'two'}, 'Enter a whole number.'),
    }
    for field, (params, message) in cases.items():
        body = assert_problem(await client.get('/watches', headers=headers, params=params), 422)
        assert any(name.startswith(field) for name in body['errors']), body
        assert message in body['detail'], body
    ranges = await client.get('/watches', headers=headers, params={'price_min': 5, 'price_max': 1})
    assert_problem(ranges, 422, 'The lowest price is above the highest.')


async def test_an_agent_sees_only_their_own_watches(client: httpx.AsyncClient):
    agent, headers = person(Role.AGENT)
    mine = make_watch(agent=agent)
    theirs = make_watch()
    listed = (await client.get('/watches', headers=headers)).json()
    assert [item['id'] for item in listed['items']] == [mine] and listed['total'] == 1
    assert (await client.get(f'/watches/{mine}', headers=headers)).status_code == 200
    assert_problem(await client.get(f'/watches/{theirs}', headers=headers), 404, 'not one of yours')
    response = await client.patch(f'/watches/{theirs}', headers=headers, json={'model': 'Mine now', 'version': 1})
    assert_problem(response, 404)
    assert _watch(theirs).model == 'Seamaster'


async def test_a_seller_never_sees_costs_nor_sets_them(client: httpx.AsyncClient):
    _, headers = person(Role.SELLER)
    watch_id = make_watch(cost='2500.00')
    listed = (await client.get('/watches', headers=headers)).json()
    assert listed['items'][0]['purchase_cost_base'] is None
    one = (await client.get(f'/watches/{watch_id}', headers=headers)).json()
    assert one['purchase_cost'] is None and one['purchase_cost_base'] is None and one['supplier_id'] is None
    assert_problem(await client.get('/watches', headers=headers, params={'sort': 'purchase_cost_base'}), 403)
    response = await client.post('/watches', headers=headers, json={'brand': 'Rolex', 'model': 'Submariner'})
    assert_problem(response, 403, 'may not take in new watches')
    assert _count() == 1


async def test_intake_and_edits_follow_the_screens_rules(client: httpx.AsyncClient):
    _, headers = person(Role.MANAGER, name='Anna Berg')
    response = await client.post('/watches', headers=headers, json={
        'brand': ' Omega ', 'model': 'Speedmaster', 'year': 1969, 'purchase_cost': '1200.50',
        'purchase_currency': 'EUR', 'asking_price': 3000, 'price_currency': 'EUR'})  # fmt: skip
    assert response.status_code == 201, response.text
    created = response.json()
    assert created['brand'] == 'Omega' and created['stage_key'] == 'intake' and created['version'] == 1
    assert Decimal(created['purchase_cost']) == Decimal('1200.50')
    watch_id = created['id']
    edited = await client.patch(
        f'/watches/{watch_id}', headers=headers, json={'model': 'Speedmaster Pro', 'version': 1}
    )
    assert edited.status_code == 200 and edited.json()['version'] == 2 and edited.json()['year'] == 1969
    stale = await client.patch(f'/watches/{watch_id}', headers=headers, json={'model': 'Moonwatch', 'version': 1})
    assert_problem(stale, 409, 'You saved this watch at', 'your changes were not saved')
    _, colleague = person(Role.MANAGER)
    stale = await client.patch(f'/watches/{watch_id}', headers=colleague, json={'year': 1970, 'version': 1})
    assert_problem(stale, 409, 'Anna Berg saved this watch at')
    assert _watch(watch_id).model == 'Speedmaster Pro' and _watch(watch_id).version == 2


async def test_bad_bodies_are_refused_by_field_and_write_nothing(client: httpx.AsyncClient):
    _, headers = person(Role.MANAGER)
    watch_id = make_watch()
    malformed = await client.post(
        '/watches', headers={**headers, 'Content-Type': 'application/json'}, content=b'{"brand": "Omega",'
    )
    assert_problem(malformed, 422, 'not valid JSON')
    unknown = await client.post('/watches', headers=headers, json={'brand': 'A', 'model': 'B', 'colour': 'red'})
    assert assert_problem(unknown, 422, 'colour')['errors'] == {
        'colour': 'Not a field of this request; check the spelling against the documentation.'
    }
    out_of_range = await client.post('/watches', headers=headers, json={'brand': 'A', 'model': 'B', 'year': 1500,
                                                                          'case_diameter_mm': 99})  # fmt: skip
    errors = assert_problem(out_of_range, 422, '(and 1 more)')['errors']
    assert errors['year'].startswith('Enter a year between 1800') and 'case_diameter_mm' in errors
    rules = await client.post('/watches', headers=headers, json={'brand': 'A', 'model': 'B', 'asking_price': 10})
    assert_problem(rules, 422, 'Choose the currency of the prices.')
    missing = await client.patch(f'/watches/{watch_id}', headers=headers, json={'model': 'X'})
    assert assert_problem(missing, 422, 'version: Required.')['errors'] == {'version': 'Required.'}
    not_object = await client.post('/watches', headers=headers, json=['brand'])
    assert_problem(not_object, 422)
    assert _count() == 1 and _watch(watch_id).version == 1


async def test_a_stage_move_goes_through_the_workflow(client: httpx.AsyncClient):
    _, headers = person(Role.MANAGER)
    watch_id = make_watch()
    move = {'to_stage_id': _stage('photographed'), 'note': 'Shot today', 'version': 1}
    moved = await client.post(f'/watches/{watch_id}/stage', headers=headers, json=move)
    assert moved.status_code == 200 and moved.json()['stage_key'] == 'photographed'
    illegal = await client.post(f'/watches/{watch_id}/stage', headers=headers, json={'to_stage_id': _stage('sold')})
    assert_problem(illegal, 409)
    assert _watch(watch_id).stage_id == _stage('photographed')
    _, seller = person(Role.SELLER)
    refused = await client.post(f'/watches/{watch_id}/stage', headers=seller, json={'to_stage_id': _stage('intake')})
    assert refused.status_code in {403, 409}
    assert _watch(watch_id).stage_id == _stage('photographed')


async def test_photos_are_uploaded_checked_and_ordered(client: httpx.AsyncClient, media):
    _, headers = person(Role.MANAGER)
    watch_id = make_watch()
    files = [('files', ('front.jpg', _photo(10), 'image/jpeg')), ('files', ('back.jpg', _photo(200), 'image/jpeg')),
             ('files', ('notes.jpg', b'%PDF-1.4 not a photo', 'image/jpeg'))]  # fmt: skip
    added = await client.post(f'/watches/{watch_id}/images', headers=headers, files=files)
    assert added.status_code == 201, added.text
    outcomes = {outcome['name']: outcome['accepted'] for outcome in added.json()['outcomes']}
    assert outcomes == {'front.jpg': True, 'back.jpg': True, 'notes.jpg': False}
    listed = (await client.get(f'/watches/{watch_id}/images', headers=headers)).json()
    ids = [image['id'] for image in listed]
    assert len(ids) == 2 and listed[0]['thumb_url'].startswith('/media/photos/')
    reordered = await client.put(f'/watches/{watch_id}/images/order', headers=headers, json={'image_ids': ids[::-1]})
    assert [image['id'] for image in reordered.json()] == ids[::-1]
    partial = await client.put(f'/watches/{watch_id}/images/order', headers=headers, json={'image_ids': ids[:1]})
    assert_problem(partial, 422, 'must name each photo')
    refused = await client.post(f'/watches/{watch_id}/images', headers=headers,
                                files=[('files', ('x.jpg', b'nonsense', 'image/jpeg'))])  # fmt: skip
    assert 'x.jpg' in assert_problem(refused, 422, 'No photo was added')['errors']
    with session_scope() as session:
        assert len(session.exec(select(WatchImage.id)).all()) == 2


async def test_batches_locations_and_jobs_are_read(client: httpx.AsyncClient):
    manager, headers = person(Role.MANAGER)
    office = places.create_location(manager, {'name': 'Office', 'kind': 'office'})
    warehouse = places.create_location(manager, {'name': 'Warehouse', 'kind': 'warehouse'})
    batch = places.create_batch(manager, {'origin_id': office.id, 'destination_id': warehouse.id})
    watch_id = make_watch(batch_id=batch.id)
    locations = (await client.get('/locations', headers=headers)).json()
    assert [location['name'] for location in locations] == ['Office', 'Warehouse']
    batches = (await client.get('/batches', headers=headers, params={'status': 'open'})).json()
    assert batches['total'] == 1 and batches['items'][0]['batch_number'] == batch.batch_number
    detail = (await client.get(f'/batches/{batch.id}', headers=headers)).json()
    assert detail['count'] == 1 and detail['watches']['items'][0]['batch_id'] == batch.id
    assert_problem(await client.get('/batches', headers=headers, params={'status': 'lost'}), 422, 'status')
    job = jobs.start(manager, 'export', {'fmt': 'csv', 'ids': [watch_id]})
    status = (await client.get(f'/jobs/{job.id}', headers=headers)).json()
    assert status['id'] == job.id and status['kind'] == 'export'
    _, other = person(Role.MANAGER, TokenScope.READ)
    assert_problem(await client.get(f'/jobs/{job.id}', headers=other), 403)
