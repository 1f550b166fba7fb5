"""User administration: the list of accounts, a new account (with a one-time password or as a single sign-on
invitation), and one account's page with its role, status, password reset, identities and recent activity."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from components import clipboard, field_errors, format, live, theme
from components.dialogs import confirm
from components.live_screen import Coalescer, Subscriptions
from components.notices import dead_end, empty_state
from components.offload import call
from components.paged_table import PagedTable
from db.enums import Role
from services import audit, users
from services.accounts import UserRead
from services.errors import NotFound, PermissionDenied, ServiceError
from services.permissions import Actor

ROLES = {role.value: role.value.title() for role in Role}
_STATUS = {'all': 'All', 'active': 'Active', 'inactive': 'Deactivated'}
_WIDE = {'classes': 'gt-sm whitespace-nowrap', 'headerClasses': 'gt-sm'}  # left out below 1024 px (a tablet)
COLUMNS = [
    {'name': 'name', 'label': 'Name', 'field': 'name', 'align': 'left', 'sortable': True},
    {'name': 'email', 'label': 'Email', 'field': 'email', 'align': 'left', 'sortable': True},
    {'name': 'role', 'label': 'Role', 'field': 'role_label', 'align': 'left', 'sortable': True},
    {'name': 'active', 'label': 'Status', 'field': 'active', 'align': 'left', 'sortable': True},
    {'name': 'last_login_at', 'label': 'Last login', 'field': 'last_login', 'align': 'left', 'sortable': True, **_WIDE},
    {'name': 'identities', 'label': 'SSO', 'field': 'identities', 'align': 'right', 'sortable': True, **_WIDE},
]
_NAME_SLOT = """<q-td :props="props">
  <a :href="'/settings/users/' + props.row.id" class="font-medium text-inherit no-underline hover:underline"
     @click.prevent="() => $parent.$emit('open', props.row)">{{ props.value }}</a>
</q-td>"""
_STATUS_SLOT = """<q-td :props="props">
  <q-badge v-if="props.value" color="green-1" text-color="green-9" label="Active"/>
  <q-badge v-else color="grey-3" text-color="grey-8" label="Deactivated"/>
</q-td>"""


# --- the list ------------------------------------------------------------------------------------------------------


async def list_view(actor: Actor) -> None:
    with ui.column().classes(theme.PAGE + ' gap-4').mark('users'):
        with ui.row().classes('w-full items-end justify-between gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('Users').classes(theme.TITLE)
                ui.label('Everyone who may log in, their role, and how they log in.').classes(theme.SUBTITLE)
            new = ui.button('New user', icon='person_add').props('unelevated').mark('new-user')
        with ui.row().classes('w-full items-center gap-3'):
            search = ui.input(placeholder='Name or email').props('outlined dense clearable debounce=300')
            search.classes('w-full sm:w-72').mark('user-search')
            with search.add_slot('prepend'):
                ui.icon('search')
            role = ui.select({'': 'All roles', **ROLES}, value='').props('outlined dense').classes('w-40')
            role.mark('user-role-filter')
            status = ui.toggle(_STATUS, value='all').props('dense no-caps unelevated').mark('user-status')

        async def loader(offset: int, limit: int, sort: str, descending: bool) -> tuple[int, list[dict]]:
            active = {'all': None, 'active': True, 'inactive': False}[status.value]
            page = await call(users.list_users, actor, search.value or '', role=role.value or None, active=active,
                              offset=offset, limit=limit, sort=sort, descending=descending)  # fmt: skip
            return page.total, [_row(user) for user in page.items]

        table = PagedTable(COLUMNS, loader, sort_by='name', descending=False, no_data='No users match.')
        table.table.props('dense').mark('user-table')
        table.table.add_slot('body-cell-name', _NAME_SLOT)
        table.table.add_slot('body-cell-active', _STATUS_SLOT)
        table.table.on('open', lambda e: ui.navigate.to(f'/settings/users/{e.args["id"]}'))
        for control in (search, role, status):
            control.on_value_change(table.first_page)
        new.on_click(lambda: _create(actor, table))
        _follow(table.load)
        await table.first_page()


def _row(user: users.UserRow) -> dict[str, Any]:
    shown = {'role_label': ROLES[user.role.value], 'last_login': format.when(user.last_login_at)}
    return {**user.model_dump(mode='json'), **shown}


def _follow(reload: Any) -> None:
    """Redraw when any account changes, here or in another administrator's browser."""
    subscriptions = Subscriptions()
    coalescer = Coalescer(reload, subscriptions)
    subscriptions.follow(live.user_changed, coalescer.poke)
    subscriptions.follow(live.reconnected, coalescer.poke)


async def _create(actor: Actor, table: PagedTable) -> None:
    created = await _new_user_dialog(actor)
    if created is None:
        return
    user, password = created
    await table.load()
    if password:
        await _show_password(user.email, password, 'Account created')


async def _new_user_dialog(actor: Actor) -> tuple[UserRead, str | None] | None:
    """The form; required fields and the service's refusals show under their fields."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-lg gap-3').mark('user-dialog'):
        ui.label('New user').classes(theme.CARD_TITLE)
        fields = {
            'name': ui.input('Name *').props('maxlength=120 autofocus'),
            'email': ui.input('Email *').props('type=email maxlength=254'),
            'role': ui.select(ROLES, label='Role *', value=Role.SELLER.value),
        }
        for key, field in fields.items():
            field.props('outlined dense').classes('w-full').mark(f'user-{key}')
        ui.label('How they log in').classes(f'text-xs {theme.MUTED} mt-2')
        way = ui.radio({'password': 'With a one-time password, shown once after saving',
                        'invite': 'By single sign-on only (an invitation: no password)'}, value='password')  # fmt: skip
        way.props('dense').classes('text-sm').mark('user-way')

        async def save() -> None:
            if not field_errors.require(fields, 'name', 'email'):
                return
            try:
                result = await call(users.create_user, actor, email=fields['email'].value, name=fields['name'].value,
                                    role=fields['role'].value, invite=way.value == 'invite')  # fmt: skip
            except ServiceError as error:
                field_errors.show(error, fields, conflict='email')
                return
            ui.notify(f'{result[0].name} can now log in.', type='positive')
            dialog.submit(result)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat').mark('user-cancel')
            ui.button('Create user', icon='person_add', on_click=save).props('unelevated').mark('user-save')
    try:
        return await dialog
    finally:
        if not dialog.is_deleted:
            dialog.delete()


async def _show_password(email: str, password: str, title: str) -> None:
    """The one-time password, once: it is not stored anywhere it could be read again."""
    with ui.dialog().props('persistent') as dialog, ui.card().classes('w-full max-w-md gap-3').mark('one-time'):
        ui.label(title).classes(theme.CARD_TITLE)
        ui.label(f'Give this one-time password to {email}. It is shown only now; they choose their own at the '
                 'first login.').classes('text-sm')  # fmt: skip
        with ui.row().classes('w-full items-center gap-2 no-wrap rounded bg-stone-100 dark:bg-stone-800 px-3 py-2'):
            ui.label(password).classes('font-mono text-base flex-1 break-all select-all').mark('one-time-password')
            ui.button(icon='content_copy', on_click=lambda: clipboard.copy(password)).props(
                'flat round dense aria-label="Copy"'
            ).mark('copy-password')
        with ui.row().classes('w-full justify-end'):
            ui.button('Done', on_click=dialog.close).props('unelevated').mark('one-time-done')
    await dialog
    dialog.delete()


# --- one account ---------------------------------------------------------------------------------------------------


async def detail_view(actor: Actor, user_id: str) -> None:
    page = ui.column().classes(theme.NARROW_PAGE + ' gap-4')

    async def draw() -> None:
        try:
            user = await call(users.get_user, actor, int(user_id))
        except (NotFound, ValueError):
            page.clear()
            with page:
                dead_end('person_off', 'No such user.', 'It may have been mistyped.',
                         back=('Back to users', '/settings/users'), mark='no-user')  # fmt: skip
            return
        entries, refusal = await _activity(actor, user.id)
        page.clear()
        with page:
            _header(user)
            _profile(actor, user, draw)
            _identities(user)
            _activity_card(entries, refusal)
        page.mark('user-detail')

    await draw()
    with page:
        _follow(draw)


async def _activity(actor: Actor, user_id: int) -> tuple[list[audit.EntryRead], str | None]:
    try:
        return await call(audit.entity_entries, actor, 'user', user_id, limit=15), None
    except PermissionDenied as error:
        return [], str(error)


def _header(user: users.UserDetail) -> None:
    with ui.row().classes('w-full items-center gap-3'):
        ui.button(icon='arrow_back', on_click=lambda: ui.navigate.to('/settings/users')).props(
            'flat round aria-label="Back to users"'
        )
        with ui.column().classes('gap-0 flex-1 min-w-0'):
            ui.label(user.name).classes(theme.TITLE + ' truncate').mark('user-title')
            ui.label(user.email).classes(theme.SUBTITLE + ' break-all')
        if not user.active:
            ui.badge('Deactivated', color='grey-3', text_color='grey-8').mark('user-inactive')


def _profile(actor: Actor, user: users.UserDetail, redraw: Any) -> None:
    with ui.card().classes(theme.CARD).mark('user-profile'):
        ui.label('Account').classes(theme.CARD_TITLE)
        with ui.grid(columns='auto 1fr').classes('w-full gap-x-8 gap-y-2 text-sm items-center'):
            ui.label('Role').classes(theme.MUTED)
            role = ui.select(ROLES, value=user.role.value).props('outlined dense').classes('w-48').mark('user-role')
            for label, value in (
                ('Status', 'Active' if user.active else 'Deactivated'),
                ('Password', _password_state(user)),
                ('Last login', format.when(user.last_login_at)),
                ('Created', format.when(user.created_at)),
            ):
                ui.label(label).classes(theme.MUTED)
                ui.label(value)

        async def change_role() -> None:
            if role.value == user.role.value:
                return
            if await _apply(users.change_role, actor, user.id, role.value, done=f'{user.name} is now {role.value}.'):
                await redraw()
            else:
                role.value = user.role.value

        role.on_value_change(change_role)
        ui.separator().classes('my-2')
        with ui.row().classes('w-full justify-end gap-2'):
            _reset_button(actor, user, redraw)
            _status_button(actor, user, redraw)


def _password_state(user: users.UserDetail) -> str:
    if not user.has_password:
        return 'None (logs in by single sign-on)'
    if user.locked_until:
        return f'Locked until {format.when(user.locked_until)}'
    return 'One-time, to be changed at the next login' if user.password_must_change else 'Set by the user'


def _reset_button(actor: Actor, user: users.UserDetail, redraw: Any) -> None:
    async def reset() -> None:
        detail = 'Their current password stops working; the new one must be changed at the next login.'
        if not await confirm(f'Reset the password of {user.name}?', 'Reset password', detail=detail):
            return
        try:
            password = await call(users.reset_password, actor, user.id)
        except ServiceError as error:
            ui.notify(str(error), type='negative')
            return
        await _show_password(user.email, password, 'Password reset')  # before the redraw takes this button away
        await redraw()

    ui.button('Reset password', icon='key', on_click=reset).props('outline').mark('reset-password')


def _status_button(actor: Actor, user: users.UserDetail, redraw: Any) -> None:
    async def toggle() -> None:
        if user.active:
            detail = 'They are logged out at once, everywhere, and cannot log in until reactivated.'
            if not await confirm(f'Deactivate {user.name}?', 'Deactivate', detail=detail):
                return
        done = f'{user.name} {"is deactivated" if user.active else "can log in again"}.'
        if await _apply(users.set_active, actor, user.id, not user.active, done=done):
            await redraw()

    if user.active:
        button = ui.button('Deactivate', icon='person_off', color='negative', on_click=toggle).props('outline')
    else:
        button = ui.button('Reactivate', icon='person', on_click=toggle).props('unelevated')
    button.mark('toggle-active')


async def _apply(service: Any, *args: object, done: str) -> bool:
    try:
        await call(service, *args)
    except ServiceError as error:
        ui.notify(str(error), type='negative')
        return False
    ui.notify(done, type='positive')
    return True


def _identities(user: users.UserDetail) -> None:
    with ui.card().classes(theme.CARD).mark('user-identities'):
        ui.label('Single sign-on').classes(theme.CARD_TITLE)
        if not user.identities:
            empty_state('link_off', 'No linked accounts.', 'An account is linked at its first single sign-on login.')
            return
        with ui.grid(columns='auto 1fr auto auto').classes('w-full gap-x-6 gap-y-1 text-sm'):
            for heading in ('Provider', 'Account', 'Linked', 'Last login'):
                ui.label(heading).classes(f'text-xs font-medium {theme.MUTED}')
            for identity in user.identities:
                ui.label(identity.provider).classes('font-medium')
                ui.label(identity.email or identity.subject).classes('break-all')
                ui.label(format.when(identity.created_at)).classes('whitespace-nowrap')
                ui.label(format.when(identity.last_login_at)).classes('whitespace-nowrap')


def _activity_card(entries: list[audit.EntryRead], refusal: str | None) -> None:
    with ui.card().classes(theme.CARD).mark('user-activity'):
        ui.label('Recent activity on this account').classes(theme.CARD_TITLE)
        if refusal:
            ui.label(refusal).classes(theme.SUBTITLE)
        elif not entries:
            empty_state('history', 'Nothing yet.', 'Logins and changes to this account appear here.')
        for entry in entries:
            with ui.row().classes('w-full gap-3 no-wrap text-sm border-t border-stone-100 dark:border-stone-800 pt-1'):
                ui.label(format.log_time(entry.at)).classes(f'{theme.MUTED} whitespace-nowrap font-mono text-xs pt-0.5')
                with ui.column().classes('gap-0 min-w-0'):
                    ui.label(f'{entry.action} by {entry.actor_label}')
                    if entry.before or entry.after:
                        ui.label(format.change(entry.before, entry.after)).classes(f'{theme.MUTED} break-all')
