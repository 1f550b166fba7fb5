"""Domain events: published after the commit, never after a rollback, and sent by every change to a watch and
every booking."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import date

import pytest
from PIL import Image
from sqlmodel import select

from db.engine import session_scope
from db.enums import Role, TransactionType
from db.inventory import Watch
from services import events, photos, places, watches, workflow
from services.errors import Conflict, PermissionDenied
from services.events import WATCH_CHANGED, Event
from services.permissions import SYSTEM
from services.spreadsheets import import_watches
from tests.factories import make_user, take_in
from tests.finance import book
from tests.services.test_inventory import build_stock


@pytest.fixture
def received(db) -> Iterator[list[Event]]:
    """Every watch event published while the test runs."""
    got: list[Event] = []
    unsubscribe = events.subscribe(WATCH_CHANGED, got.append)
    yield got
    unsubscribe()


def test_events_are_published_once_after_the_commit_with_their_ids_merged(received):
    with session_scope() as session:
        events.record(session, WATCH_CHANGED, ids=[3, 1])
        events.record(session, WATCH_CHANGED, ids=[1, 2])
        assert received == []
    assert received == [Event(WATCH_CHANGED, (3, 1, 2))]


def test_a_rolled_back_unit_of_work_publishes_nothing(received):
    with pytest.raises(RuntimeError), session_scope() as session:
        session.add(Watch(sku='SV-X', brand='Rolex', model='Daytona', stage_id=1))
        session.flush()
        events.record(session, WATCH_CHANGED, ids=[99])
        raise RuntimeError('the write failed')
    with session_scope():
        pass
    assert received == []


def test_an_event_recorded_before_any_write_is_dropped_by_a_rollback(received):
    with session_scope() as session:
        events.record(session, WATCH_CHANGED, ids=[5])
        session.rollback()
    assert received == []


def test_a_failing_subscriber_is_logged_and_neither_the_write_nor_later_subscribers_suffer(db, caplog):
    manager = make_user(Role.MANAGER)

    def broken(_event: Event) -> None:
        raise RuntimeError('the index is down')

    later: list[Event] = []
    unsubscribe = [events.subscribe(WATCH_CHANGED, broken), events.subscribe(WATCH_CHANGED, later.append)]
    try:
        with caplog.at_level(logging.ERROR, logger='services.events'):
            watch = take_in(manager, model='Speedmaster')
    finally:
        for undo in unsubscribe:
            undo()
    assert watches.get_watch(manager, watch.id).model == 'Speedmaster'
    assert later == [Event(WATCH_CHANGED, (watch.id,))]
    assert 'A subscriber to watch.changed failed' in caplog.text and 'the index is down' in caplog.text


def test_subscribing_twice_delivers_once_and_unsubscribing_stops_delivery(db):
    got: list[Event] = []
    events.subscribe(WATCH_CHANGED, got.append)
    unsubscribe = events.subscribe(WATCH_CHANGED, got.append)
    events.publish(Event(WATCH_CHANGED, (1,)))
    unsubscribe()
    events.publish(Event(WATCH_CHANGED, (2,)))
    assert got == [Event(WATCH_CHANGED, (1,))]


def test_intake_edit_stage_move_and_delete_each_announce_the_watch(received):
    manager = make_user(Role.MANAGER)
    watch = take_in(manager)
    edit = watches.parse_watch({'model': 'Seamaster 300'}, partial=True)
    edited = watches.update_watch(manager, watch.id, edit, version=watch.version)
    photographed = next(stage.id for stage in workflow.stages() if stage.key == 'photographed')
    moved = workflow.move_watch(manager, watch.id, photographed)
    watches.delete_watch(manager, watch.id, version=moved.version)
    assert edited.model == 'Seamaster 300'
    assert received == [Event(WATCH_CHANGED, (watch.id,))] * 4


def test_refused_changes_announce_nothing(received):
    manager, seller = make_user(Role.MANAGER), make_user(Role.SELLER)
    watch = take_in(manager)
    received.clear()
    edit = watches.parse_watch({'model': 'Other'}, partial=True)
    with pytest.raises(Conflict):
        watches.update_watch(manager, watch.id, edit, version=watch.version + 5)
    with pytest.raises(PermissionDenied):
        watches.update_watch(seller, watch.id, edit, version=watch.version)
    with pytest.raises(PermissionDenied):
        watches.delete_watch(seller, watch.id, version=watch.version)
    assert received == []


def test_a_bulk_batch_assignment_is_one_event_with_every_watch_it_changed(received):
    stock = build_stock()
    batch = places.create_batch(stock.manager, {'origin_id': stock.office, 'destination_id': stock.warehouse})
    wanted = [stock.ids['w5'], stock.ids['w1'], stock.ids['gone']]
    result = places.assign_watches(stock.manager, batch.id, wanted)
    assert sorted(result.done) == sorted([stock.ids['w1'], stock.ids['w5']])
    assert [sorted(event.ids) for event in received] == [sorted(result.done)]


def test_a_bulk_move_to_a_location_announces_the_moved_watches(received):
    stock = build_stock()
    result = places.move_location(stock.manager, [stock.ids['w1'], stock.ids['w2']], stock.warehouse)
    assert result.done == [stock.ids['w1']]  # w2 is there already
    assert received == [Event(WATCH_CHANGED, (stock.ids['w1'],))]


def test_an_import_is_one_event_with_all_its_watches_and_a_dry_run_none(received):
    data = b'Brand,Model,Reference\nRolex,Submariner,5513\nOmega,Speedmaster,145.022\n'
    import_watches(SYSTEM, 'stock.csv', data, dry_run=True)
    assert received == []
    report = import_watches(SYSTEM, 'stock.csv', data, dry_run=False)
    with session_scope() as session:
        ids = session.exec(select(Watch.id).where(Watch.sku.in_(report.skus)).order_by(Watch.id)).all()
    assert len(ids) == 2
    assert received == [Event(WATCH_CHANGED, tuple(ids))]


def test_adding_and_deleting_photos_announce_the_watch(received, media):
    manager = make_user(Role.MANAGER)
    watch = take_in(manager)
    buffer = io.BytesIO()
    Image.new('RGB', (64, 48), (40, 60, 90)).save(buffer, 'JPEG')
    added = photos.add_photos(manager, watch.id, [('front.jpg', buffer.getvalue())])
    photos.delete_photo(manager, watch.id, added.accepted[0].image_id)
    assert received == [Event(WATCH_CHANGED, (watch.id,))] * 3


def test_a_booking_announces_the_ledger_and_the_watch_it_was_on(db):
    """Every booking is a ledger change; only those on a watch name it, so a watch's own screen can tell."""
    got: list[Event] = []
    stops = [events.subscribe(name, got.append) for name in (events.LEDGER_CHANGED, events.WATCH_BOOKED)]
    watch = take_in(make_user(Role.MANAGER))
    got.clear()  # the intake booked its purchase
    on_watch = book(TransactionType.SHIPPING, '40', 'EUR', date(2025, 3, 5), watch_id=watch.id)
    advance = book(TransactionType.ADVANCE, '100', 'EUR', date(2025, 3, 5), user_id=make_user(Role.AGENT).id)
    for stop in stops:
        stop()
    assert got == [
        Event(events.LEDGER_CHANGED, (on_watch,)),
        Event(events.WATCH_BOOKED, (watch.id,)),
        Event(events.LEDGER_CHANGED, (advance,)),
    ]
