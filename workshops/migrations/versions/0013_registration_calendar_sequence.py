"""registration calendar sequence: each registrant's calendar events rise in SEQUENCE with every change

A registrant's calendar file holds the workshop's event and one event per chosen breakout, under
UIDs that stay the same; calendar programs apply an update or a cancellation only when its SEQUENCE
is higher than the one they hold (RFC 5545, 3.8.7.4). The workshop's own ``calendar_sequence``
rises when its time or place changes; this counter rises with every change of one registration
(breakouts, attendance mode, a promotion, a cancellation, registering again), and the file's
SEQUENCE is the sum of the two. Existing registrations start at 0.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('calendar_sequence')
