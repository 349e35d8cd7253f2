"""audit log: account deletions

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    'login_failed', 'login_throttled', 'role_changed', 'access_denied', 'csrf_failed', 'export',
    'use_case_state', 'use_case_deleted', 'use_case_restored', 'call_created', 'call_edited',
    'call_challenges_added', 'call_challenge_moved', 'call_challenge_removed', 'call_domain_moved',
    'call_published', 'call_closed',
)
ADDED = ('account_deleted',)


def _allow(actions: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{action}'" for action in actions)
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_audit_entry_action'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_audit_entry_action'), f"action IN ({listed})")


def upgrade() -> None:
    _allow(BEFORE + ADDED)


def downgrade() -> None:
    op.execute("DELETE FROM audit_entry WHERE action IN (" + ", ".join(f"'{a}'" for a in ADDED) + ")")
    _allow(BEFORE)
