"""A script's day with the API, as its author would write it, against the whole app as `python main.py serve`
assembles it: list, take in, correct, move on; then the refusals a read token and a lesser role meet."""

from __future__ import annotations

from nicegui.testing import User as Browser

from db.enums import Role, TokenScope
from services import tokens, workflow
from tests.api.conftest import assert_problem
from tests.factories import make_user, make_watch


async def test_a_stock_script_lists_creates_updates_and_is_refused_by_scope_and_role(app_user: Browser):
    manager = make_user(Role.MANAGER, email='sync@example.com')
    _, secret = tokens.create(manager, 'Stock sync', TokenScope.READ_WRITE, 30)
    http, base = app_user.http_client, '/api/v1'
    headers = {'Authorization': f'Bearer {secret}'}
    make_watch(brand='Omega', model='Seamaster')

    me = (await http.get(f'{base}/me', headers=headers)).json()
    assert me['email'] == 'sync@example.com'
    listed = (await http.get(f'{base}/watches', headers=headers, params={'brands': 'Omega'})).json()
    assert listed['total'] == 1

    created = await http.post(f'{base}/watches', headers=headers, json={'brand': 'Tudor', 'model': 'Black Bay'})
    assert created.status_code == 201
    watch = created.json()
    updated = await http.patch(f'{base}/watches/{watch["id"]}', headers=headers,
                               json={'reference': '79230N', 'version': watch['version']})  # fmt: skip
    assert updated.json()['reference'] == '79230N' and updated.json()['version'] == watch['version'] + 1
    photographed = next(stage.id for stage in workflow.stages() if stage.key == 'photographed')
    moved = await http.post(f'{base}/watches/{watch["id"]}/stage', headers=headers, json={'to_stage_id': photographed})
    assert moved.json()['stage_key'] == 'photographed'
    assert (await http.get(f'{base}/watches', headers=headers, params={'q': 'Black Bay'})).json()['total'] == 1

    _, reader = tokens.create(manager, 'Dashboard', TokenScope.READ, None)
    refused = await http.patch(f'{base}/watches/{watch["id"]}', headers={'Authorization': f'Bearer {reader}'},
                               json={'model': 'Pelagos', 'version': 2})  # fmt: skip
    assert_problem(refused, 403, 'may only read')

    seller = make_user(Role.SELLER)
    _, seller_secret = tokens.create(seller, 'Listing tool', TokenScope.READ_WRITE, None)
    seller_headers = {'Authorization': f'Bearer {seller_secret}'}
    seen = (await http.get(f'{base}/watches/{watch["id"]}', headers=seller_headers)).json()
    assert seen['purchase_cost'] is None
    refused = await http.post(f'{base}/watches', headers=seller_headers, json={'brand': 'Seiko', 'model': '6139'})
    assert_problem(refused, 403, 'Your role (seller) may not take in new watches')
    assert (await http.get(f'{base}/watches', headers=headers)).json()['total'] == 2
