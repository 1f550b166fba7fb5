"""Run-time business settings: defaults, checks per key, admin only, audited, and refusals that store nothing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from db.engine import session_scope
from db.enums import Role
from db.system import AuditEntry, Setting
from services import settings, sku
from services.errors import PermissionDenied, ValidationFailed
from tests.factories import make_user


def _stored() -> tuple:
    with session_scope() as session:
        rows = [(row.key, row.value) for row in session.exec(select(Setting).order_by(Setting.key))]
        return rows, session.exec(select(func.count()).select_from(AuditEntry)).one()


def test_unset_keys_give_their_defaults_or_the_callers(db):
    assert settings.get_setting('sku.pattern') == sku.DEFAULT_PATTERN
    assert settings.get_setting('photos.max_mb') == 25
    assert settings.get_setting('photos.max_count') == 40
    assert settings.get_setting('photos.max_mb', 10) == 10
    assert settings.get_setting('labels.printer', None) is None


def test_an_admin_sets_a_value_that_everyone_then_reads_and_the_change_is_audited(db):
    admin = make_user(Role.ADMIN)
    assert settings.set_setting(admin, 'photos.max_mb', ' 30 ') == 30
    assert settings.set_setting(admin, 'sku.pattern', '  SV{yyyy}{mm}{n:06d} ') == 'SV{yyyy}{mm}{n:06d}'
    assert settings.get_setting('photos.max_mb') == 30
    assert settings.get_setting('sku.pattern') == 'SV{yyyy}{mm}{n:06d}'
    settings.set_setting(admin, 'photos.max_mb', 35)
    with session_scope() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == 'setting.changed')).all()
    assert [(e.entity_id, e.before, e.after, e.actor_id) for e in entries] == [
        ('photos.max_mb', {'photos.max_mb': 25}, {'photos.max_mb': 30}, admin.id),
        ('sku.pattern', {'sku.pattern': sku.DEFAULT_PATTERN}, {'sku.pattern': 'SV{yyyy}{mm}{n:06d}'}, admin.id),
        ('photos.max_mb', {'photos.max_mb': 30}, {'photos.max_mb': 35}, admin.id),
    ]


@pytest.mark.parametrize('role', [Role.MANAGER, Role.FINANCE, Role.AGENT, Role.SELLER])
def test_only_an_admin_changes_settings(db, role):
    actor = make_user(role)
    before = _stored()
    with pytest.raises(PermissionDenied, match=rf'Your role \({role.value}\) may not change settings.'):
        settings.set_setting(actor, 'photos.max_mb', 30)
    assert _stored() == before


@pytest.mark.parametrize(
    ('key', 'value', 'message'),
    [
        ('sku.pattern', 'SV-{yy}{mm}', 'The pattern must contain the running number, e.g. {n:05d}.'),
        (
            'sku.pattern',
            'SV-{n:05d}',
            'The pattern must contain the year ({yy} or {yyyy}) and month ({mm}); numbers restart monthly.',
        ),
        (
            'sku.pattern',
            'SV-{yy}{mm}{dd}-{n}',
            'The pattern may use only {yy}, {yyyy}, {mm} and {n}, e.g. SV-{yy}{mm}-{n:05d}.',
        ),
        (
            'sku.pattern',
            'SV-{yy}{mm}-{n:q}',
            'The pattern may use only {yy}, {yyyy}, {mm} and {n}, e.g. SV-{yy}{mm}-{n:05d}.',
        ),
        (
            'sku.pattern',
            'SV-{yy}{mm}-{}{n}',
            'The pattern may use only {yy}, {yyyy}, {mm} and {n}, e.g. SV-{yy}{mm}-{n:05d}.',
        ),
        (
            'sku.pattern',
            'SV {yy}{mm} {n}',
            'The pattern may contain no spaces or accented letters, so barcode scanners can type it.',
        ),
        (
            'sku.pattern',
            'SECONDVINTAGE-STOCKHOLM-{yyyy}-{mm}-{n:09d}',
            'This pattern makes SKUs of up to 41 characters; the most is 40.',
        ),
        ('photos.max_mb', 0, 'Enter a whole number from 1 to 200.'),
        ('photos.max_mb', 201, 'Enter a whole number from 1 to 200.'),
        ('photos.max_mb', 'lots', 'Enter a whole number from 1 to 200.'),
        ('photos.max_mb', 2.5, 'Enter a whole number from 1 to 200.'),
        ('photos.max_mb', True, 'Enter a whole number from 1 to 200.'),
        ('photos.max_count', -1, 'Enter a whole number from 1 to 100.'),
    ],
)
def test_bad_values_are_refused_with_a_sentence_and_nothing_is_stored(db, key, value, message):
    admin = make_user(Role.ADMIN)
    before = _stored()
    with pytest.raises(ValidationFailed) as refused:
        settings.set_setting(admin, key, value)
    assert (str(refused.value), refused.value.fields) == (message, {key: message})
    assert _stored() == before


def test_an_unknown_key_is_refused(db):
    admin = make_user(Role.ADMIN)
    with pytest.raises(ValidationFailed, match=r'There is no setting called "sku\.patern"\.'):
        settings.set_setting(admin, 'sku.patern', 'SV-{yy}{mm}-{n}')
