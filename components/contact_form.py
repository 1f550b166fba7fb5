"""The contact dialog, shared by the contacts screen and every contact picker ("New contact" on the watch form)."""

from __future__ import annotations

from nicegui import ui

from components import field_errors, theme
from components.offload import call
from db.enums import ContactKind
from services import contacts
from services.contacts import ContactRead
from services.errors import ServiceError
from services.permissions import Actor

KINDS = {kind.value: kind.value.capitalize() for kind in ContactKind}
_TEXT = ('company', 'email', 'phone', 'vat_number', 'street', 'postal_code', 'city', 'country')


async def contact_dialog(actor: Actor, contact: ContactRead | None = None, *, name: str = '') -> ContactRead | None:
    """Create (contact None, the name filled in with `name`) or edit a contact; the saved contact, or None when
    the dialog was cancelled. Required fields and the service's refusals show under their fields."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-2xl gap-3').mark('contact-dialog'):
        ui.label('Edit contact' if contact else 'New contact').classes(theme.CARD_TITLE)
        fields, consent = _fields(contact, name)

        async def save() -> None:
            if not field_errors.require(fields, 'name'):
                return
            data = {key: field.value or None for key, field in fields.items()} | {'consent': consent.value}
            try:
                if contact:
                    saved = await call(contacts.update_contact, actor, contact.id, data)
                else:
                    saved = await call(contacts.create_contact, actor, data)
            except ServiceError as error:
                field_errors.show(error, fields)
                return
            ui.notify(f'{saved.name} saved.', type='positive')
            dialog.submit(saved)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat').mark('contact-cancel')
            ui.button('Save contact', icon='save', on_click=save).props('unelevated').mark('contact-save')
    try:
        return await dialog
    finally:
        if not dialog.is_deleted:
            dialog.delete()


def _fields(
    contact: ContactRead | None, name: str
) -> tuple[dict[str, ui.input | ui.select | ui.textarea], ui.checkbox]:
    """Two inputs a row on a desk screen, one on a phone; the lengths match what the service accepts."""
    shown = contact.model_dump() if contact else {'kind': ContactKind.PERSON.value, 'name': name}
    with ui.grid().classes('w-full grid-cols-1 sm:grid-cols-2 gap-x-4 gap-y-1'):
        fields: dict[str, ui.input | ui.select | ui.textarea] = {
            'kind': ui.select(KINDS, label='Kind', value=getattr(shown['kind'], 'value', shown['kind'])),
            'name': ui.input('Name *', value=shown.get('name') or '').props('maxlength=160 autofocus'),
        }
        labels = {'company': 'Company', 'email': 'Email', 'phone': 'Phone', 'street': 'Street',
                  'postal_code': 'Postal code', 'city': 'City', 'country': 'Country (two letters, e.g. SE)',
                  'vat_number': 'VAT number'}  # fmt: skip
        for key in _TEXT:
            fields[key] = ui.input(labels[key], value=shown.get(key) or '')
    fields['email'].props('type=email maxlength=254')
    fields['phone'].props('type=tel maxlength=40')
    fields['country'].props('maxlength=2')
    fields['notes'] = ui.textarea('Notes', value=shown.get('notes') or '').props('autogrow maxlength=2000')
    for key, field in fields.items():
        field.props('outlined dense').classes('w-full').mark(f'contact-{key}')
    consent = ui.checkbox('Agreed to be kept on file', value=bool(shown.get('consent_at'))).mark('contact-consent')
    return fields, consent
