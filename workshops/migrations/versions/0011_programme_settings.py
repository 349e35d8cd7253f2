"""programme settings: the default time zone of new workshops and calls

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import workshops.db


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('programme_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_programme_settings_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_settings'))
    )


def downgrade() -> None:
    op.drop_table('programme_settings')
