"""A contact picker that searches the server as the user types: the address book never travels to the browser whole.

Typing is debounced here, on the server, and only the newest answer is shown, so a slow reply to "an" can never
replace the reply to "anna". "New contact" opens the contact dialog with the typed text as the name and picks
the contact it saves.
"""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.events import GenericEventArguments

from components.contact_form import contact_dialog
from components.offload import call
from services import contacts
from services.contacts import Choice
from services.permissions import Actor, Permission

DEBOUNCE = 0.3  # seconds of quiet typing before the server is asked


class ContactPicker:
    """`select.value` is the chosen contact's id; `chosen`, a choice made earlier, is named before anything is typed."""

    def __init__(self, actor: Actor, label: str, chosen: Choice | None = None) -> None:
        self.actor = actor
        self.typed = ''
        self._asked = 0
        self.select = ui.select(
            {chosen.id: chosen.label} if chosen else {},
            label=label,
            value=chosen.id if chosen else None,
            with_input=True,
            clearable=True,
        )
        self.select.on('input-value', self._typed)
        self.select.on('focus', self._first_choices)
        self.select.on_value_change(self._picked)
        with self.select.add_slot('no-option'):
            ui.item('No contact found: type the start of a name, company or email.').classes('text-sm text-stone-500')
        if actor.can(Permission.CONTACTS_MANAGE):
            with self.select.add_slot('after'):
                ui.button(icon='person_add', on_click=self.new_contact).props(
                    'flat round dense aria-label="New contact"'
                ).tooltip('New contact').mark('new-contact')

    async def new_contact(self) -> None:
        """The contact dialog, named after what was typed; the contact it saves becomes the choice."""
        saved = await contact_dialog(self.actor, name=self.typed.strip())
        if saved is not None:
            self._asked += 1  # an answer still on its way is about the text before the new contact
            self._offer([Choice(id=saved.id, label=contacts.label(saved))])
            self.select.value = saved.id

    async def _typed(self, event: GenericEventArguments) -> None:
        self.typed = str(event.args or '')
        await self._search(self.typed, wait=DEBOUNCE)

    async def _first_choices(self) -> None:
        """Something to choose from before anything is typed (the first contacts by name)."""
        if len(self.select.options) <= 1 and not self.typed:
            await self._search('', wait=0)

    async def _search(self, text: str, *, wait: float) -> None:
        self._asked += 1
        asked = self._asked
        if wait:
            await asyncio.sleep(wait)
            if asked != self._asked:  # more was typed meanwhile
                return
        found = await call(contacts.choices, self.actor, text)
        if asked == self._asked:
            self._offer(found)

    def _offer(self, found: list[Choice]) -> None:
        """Show what was found, keeping the current choice among the options (a select shows only its options)."""
        value = self.select.value
        options = {choice.id: choice.label for choice in found}
        if value is not None and value not in options:
            options[value] = self.select.options.get(value, f'#{value}')
        self.select.set_options(options, value=value)

    def _picked(self) -> None:
        """What was typed to find a contact is no name for a new one once a contact is picked."""
        if self.select.value is not None:
            self.typed = ''
