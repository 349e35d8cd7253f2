"""needs and votes

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import workshops.db


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('breakout_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('statement', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('context', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('desired_outcome', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('affected', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('constraints', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('urgency', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=True),
    sa.Column('test_bed_id', sa.Integer(), nullable=True),
    sa.Column('organisation', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('organisation_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('tags', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('sensitivity', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('dismissed_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('stated_by_id', sa.Integer(), nullable=True),
    sa.Column('stated_by_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('captured_by_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('similarity_vector', sa.LargeBinary(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("sensitivity IN ('public', 'anonymous', 'internal')", name=op.f('ck_need_sensitivity')),
    sa.CheckConstraint("state IN ('open', 'merged', 'dismissed')", name=op.f('ck_need_state')),
    sa.CheckConstraint('urgency BETWEEN 1 AND 5', name=op.f('ck_need_urgency')),
    sa.ForeignKeyConstraint(['breakout_id'], ['breakout.id'], name=op.f('fk_need_breakout_id_breakout'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['captured_by_id'], ['account.id'], name=op.f('fk_need_captured_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['domain_id'], ['domain.id'], name=op.f('fk_need_domain_id_domain'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['need.id'], name=op.f('fk_need_merged_into_id_need'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['stated_by_id'], ['account.id'], name=op.f('fk_need_stated_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['test_bed_id'], ['test_bed.id'], name=op.f('fk_need_test_bed_id_test_bed'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_need_idempotency_key'))
    )
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index('ix_need_breakout_state', ['breakout_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_stated_by_id'), ['stated_by_id'], unique=False)

    op.create_table('vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('breakout_id', sa.Integer(), nullable=False),
    sa.Column('created_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['breakout_id'], ['breakout.id'], name=op.f('fk_vote_breakout_id_breakout'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_vote_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['account.id'], name=op.f('fk_vote_user_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote')),
    sa.UniqueConstraint('need_id', 'user_id', name='uq_vote_need_person')
    )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_breakout_id'), ['breakout_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('breakout', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('board_visibility', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False, server_default='attendees')
        )
        batch_op.add_column(sa.Column('votes_per_person', sa.Integer(), nullable=False, server_default='3'))
        batch_op.add_column(sa.Column('locked_at', workshops.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('board_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint('board_visibility', "board_visibility IN ('attendees', 'facilitators')")



def downgrade() -> None:
    with op.batch_alter_table('breakout', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_breakout_board_visibility'), type_='check')
        batch_op.drop_column('board_version')
        batch_op.drop_column('locked_at')
        batch_op.drop_column('votes_per_person')
        batch_op.drop_column('board_visibility')

    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_user_id'))
        batch_op.drop_index(batch_op.f('ix_vote_need_id'))
        batch_op.drop_index(batch_op.f('ix_vote_breakout_id'))

    op.drop_table('vote')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_stated_by_id'))
        batch_op.drop_index('ix_need_breakout_state')

    op.drop_table('need')
