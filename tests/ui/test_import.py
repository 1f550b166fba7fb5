"""The import screen: a dry run's report with row errors keeps the import shut; a clean file imports as a job."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User
from sqlmodel import func, select

from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch
from pages import auth, watch_import
from services import accounts
from tests.factories import make_user
from tests.ui.job_states import RUN
from tests.ui.session import PATIENCE, eventually, log_in

PATH = '/_test/watches/import'  # the shell routes the screen at /watches/import; here it is mounted on its own


async def open_import(visitor: User) -> None:
    """Mount the screen on a page of its own (as the shell's sub-page would) and open it as a manager."""

    async def page() -> None:
        actor = accounts.load_actor(auth.current_user_id())
        assert actor is not None
        await watch_import.view(actor)

    ui.page(PATH)(page)
    make_user(Role.MANAGER, email='mia@example.com')
    await log_in(visitor, 'mia@example.com')
    await visitor.should_see(marker='user-menu', retries=PATIENCE)
    await visitor.open(PATH)
    await visitor.should_see(marker='watch-import', retries=PATIENCE)


async def upload(visitor: User, name: str, text: str) -> None:
    element = next(iter(visitor.find(marker='import-upload').elements))
    assert isinstance(element, ui.upload)
    await element.handle_uploads([SmallFileUpload(name, 'text/csv', text.encode())])


def watch_count() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Watch)).one()


async def test_row_errors_keep_the_import_shut(visitor: User):
    await open_import(visitor)
    await upload(visitor, 'stock.csv', 'Brand,Model,Year\nOmega,Seamaster,1990\nNoSuchBrand,X,1700\n')
    await visitor.should_see('stock.csv: 2 rows, 1 rows need correcting.', retries=PATIENCE)
    table = next(iter(visitor.find(marker='import-errors').elements))
    assert [(row['row'], row['field'], row['column']) for row in table.rows] == [
        (3, 'brand', 'Brand'),
        (3, 'year', 'Year'),
    ]
    await visitor.should_see('Nothing has been imported. Correct these rows in the file and upload it again.')
    await visitor.should_not_see(marker='import-go')
    assert watch_count() == 0


@pytest.mark.usefixtures('task_workers')
async def test_a_clean_file_is_imported_and_leads_to_the_inventory(visitor: User):
    await open_import(visitor)
    await upload(visitor, 'stock.csv', 'Brand;Model;Remarks\nOmega;Seamaster;x\nRolex;Datejust;y\n')
    await visitor.should_see('Columns not read: Remarks.', retries=PATIENCE)
    go = next(iter(visitor.find(marker='import-go').elements))
    assert go.enabled and go.text == 'Import 2 watches'
    visitor.find(marker='import-go').click()
    await visitor.should_see(marker='job-panel', retries=PATIENCE)
    await visitor.should_see('2 watches imported.', retries=RUN)
    await visitor.should_see(marker='to-inventory')
    await eventually(lambda: watch_count() == 2, 'both watches to be in the database')


async def test_an_unreadable_file_is_refused_whole(visitor: User):
    await open_import(visitor)
    await upload(visitor, 'stock.pdf', '%PDF')
    await visitor.should_see(marker='import-refused', retries=PATIENCE)
    await visitor.should_see('Import a .csv or .xlsx file, not "stock.pdf".')
