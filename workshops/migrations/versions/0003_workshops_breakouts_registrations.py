"""workshops breakouts registrations

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import workshops.db
from workshops.privacy.defaults import DEFAULT_NOTICE


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('test_bed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['domain.id'], name=op.f('fk_test_bed_domain_id_domain')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_bed')),
    sa.UniqueConstraint('name', name=op.f('uq_test_bed_name'))
    )
    with op.batch_alter_table('test_bed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_test_bed_domain_id'), ['domain_id'], unique=False)

    op.create_table('workshop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=True),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('starts_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('venue', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('online_link', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('onsite_capacity', sa.Integer(), nullable=True),
    sa.Column('online_capacity', sa.Integer(), nullable=True),
    sa.Column('registration_opens_at', workshops.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('registration_closes_at', workshops.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('calendar_sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("format IN ('on_site', 'online', 'hybrid')", name=op.f('ck_workshop_format')),
    sa.CheckConstraint("state IN ('draft', 'published', 'closed', 'archived')", name=op.f('ck_workshop_state')),
    sa.ForeignKeyConstraint(['cluster_id'], ['cluster.id'], name=op.f('fk_workshop_cluster_id_cluster'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop')),
    sa.UniqueConstraint('slug', name=op.f('uq_workshop_slug'))
    )
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_state'), ['state'], unique=False)

    op.create_table('breakout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('test_bed_id', sa.Integer(), nullable=True),
    sa.Column('domain_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('room', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('online_room', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['domain.id'], name=op.f('fk_breakout_domain_id_domain'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['test_bed_id'], ['test_bed.id'], name=op.f('fk_breakout_test_bed_id_test_bed'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_breakout_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breakout')),
    sa.UniqueConstraint('code', name=op.f('uq_breakout_code'))
    )
    with op.batch_alter_table('breakout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breakout_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('privacy_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['account.id'], name=op.f('fk_privacy_notice_published_by_id_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_notice')),
    sa.UniqueConstraint('version', name=op.f('uq_privacy_notice_version'))
    )
    op.create_table('registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('waitlist_position', sa.Integer(), nullable=True),
    sa.Column('dietary', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('accessibility', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('consent_processing_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('consent_listing_at', workshops.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('privacy_notice_version', sa.Integer(), nullable=False),
    sa.Column('checked_in_at', workshops.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('reminder_sent_at', workshops.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', workshops.db.UtcDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("mode IN ('on_site', 'online')", name=op.f('ck_registration_mode')),
    sa.CheckConstraint("state IN ('confirmed', 'waitlisted', 'cancelled')", name=op.f('ck_registration_state')),
    sa.ForeignKeyConstraint(['user_id'], ['account.id'], name=op.f('fk_registration_user_id_account')),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_registration_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration')),
    sa.UniqueConstraint('workshop_id', 'user_id', name='uq_registration_workshop_person')
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index('ix_registration_queue', ['workshop_id', 'mode', 'state', 'waitlist_position'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_user_id'), ['user_id'], unique=False)

    op.create_table('breakout_facilitator',
    sa.Column('breakout_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['breakout_id'], ['breakout.id'], name=op.f('fk_breakout_facilitator_breakout_id_breakout'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['account.id'], name=op.f('fk_breakout_facilitator_user_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('breakout_id', 'user_id', name=op.f('pk_breakout_facilitator'))
    )
    op.create_table('breakout_seat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('breakout_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('waitlist_position', sa.Integer(), nullable=True),
    sa.Column('created_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('confirmed', 'waitlisted', 'requested')", name=op.f('ck_breakout_seat_state')),
    sa.ForeignKeyConstraint(['breakout_id'], ['breakout.id'], name=op.f('fk_breakout_seat_breakout_id_breakout'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_breakout_seat_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breakout_seat')),
    sa.UniqueConstraint('registration_id', 'breakout_id', name='uq_breakout_seat_registration_breakout')
    )
    with op.batch_alter_table('breakout_seat', schema=None) as batch_op:
        batch_op.create_index('ix_breakout_seat_queue', ['breakout_id', 'state', 'waitlist_position'], unique=False)

    op.create_table('workshop_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('breakout_id', sa.Integer(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', workshops.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['breakout_id'], ['breakout.id'], name=op.f('fk_workshop_message_breakout_id_breakout'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['account.id'], name=op.f('fk_workshop_message_sent_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_workshop_message_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_message'))
    )
    with op.batch_alter_table('workshop_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_message_workshop_id'), ['workshop_id'], unique=False)


    # The first privacy notice, so that registration can refer to a version from day one;
    # organisers replace it with their own text on /manage/privacy.
    notice = sa.table(
        "privacy_notice",
        sa.column("version", sa.Integer),
        sa.column("body", sa.Text),
        sa.column("published_at", workshops.db.UtcDateTime(timezone=True)),
    )
    op.bulk_insert(notice, [{"version": 1, "body": DEFAULT_NOTICE, "published_at": datetime.now(UTC)}])



def downgrade() -> None:
    with op.batch_alter_table('workshop_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_message_workshop_id'))

    op.drop_table('workshop_message')
    with op.batch_alter_table('breakout_seat', schema=None) as batch_op:
        batch_op.drop_index('ix_breakout_seat_queue')

    op.drop_table('breakout_seat')
    op.drop_table('breakout_facilitator')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_user_id'))
        batch_op.drop_index('ix_registration_queue')

    op.drop_table('registration')
    op.drop_table('privacy_notice')
    with op.batch_alter_table('breakout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breakout_workshop_id'))

    op.drop_table('breakout')
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_state'))
        batch_op.drop_index(batch_op.f('ix_workshop_starts_at'))

    op.drop_table('workshop')
    with op.batch_alter_table('test_bed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_bed_domain_id'))

    op.drop_table('test_bed')
