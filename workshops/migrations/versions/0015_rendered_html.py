"""the rendered HTML of frozen text: each published challenge's body, each use-case revision's body

A published challenge keeps its body rendered and sanitised three ways (as written, for the CSV and
JSON; under the challenge's heading, for the call page and the HTML export; for the Word export),
and a revision its body as written, each with ``rendered_with``, the version of the Markdown
renderer that wrote it. Existing rows start empty: the application renders them on first read
and stores the result, as it does whenever the renderer's version differs.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('call_challenge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('body_nested_html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('body_word_html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('rendered_with', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    with op.batch_alter_table('use_case_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('rendered_with', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('use_case_revision', schema=None) as batch_op:
        batch_op.drop_column('rendered_with')
        batch_op.drop_column('body_html')
    with op.batch_alter_table('call_challenge', schema=None) as batch_op:
        batch_op.drop_column('rendered_with')
        batch_op.drop_column('body_word_html')
        batch_op.drop_column('body_nested_html')
        batch_op.drop_column('body_html')
