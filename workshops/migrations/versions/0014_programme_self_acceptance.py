"""programme setting: whether an organiser may accept a use case they wrote; its changes audited

``organisers_accept_own`` starts off (a second person accepts each use case), for an existing
settings row too. Changes of the programme's settings are recorded in the audit log from now on,
under the new action ``settings_changed``.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    'login_failed', 'login_throttled', 'role_changed', 'access_denied', 'csrf_failed', 'export',
    'use_case_state', 'use_case_deleted', 'use_case_restored', 'call_created', 'call_edited',
    'call_challenges_added', 'call_challenge_moved', 'call_challenge_removed', 'call_domain_moved',
    'call_published', 'call_closed', 'account_deleted',
)
ADDED = ('settings_changed',)


def _allow(actions: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{action}'" for action in actions)
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_audit_entry_action'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_audit_entry_action'), f"action IN ({listed})")


def upgrade() -> None:
    with op.batch_alter_table('programme_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisers_accept_own', sa.Boolean(), nullable=False, server_default=sa.false()))
    _allow(BEFORE + ADDED)


def downgrade() -> None:
    op.execute("DELETE FROM audit_entry WHERE action IN (" + ", ".join(f"'{a}'" for a in ADDED) + ")")
    _allow(BEFORE)
    with op.batch_alter_table('programme_settings', schema=None) as batch_op:
        batch_op.drop_column('organisers_accept_own')
