"""An index on contacts.company, so the contact list and the supplier picker find a firm by its first letters.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f('ix_contacts_company'), 'contacts', ['company'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_contacts_company'), table_name='contacts')
