"""review per file (#16): comments on one file, votes carried to a resubmission

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite adds a foreign key only by rebuilding the table.
    with op.batch_alter_table('comments') as batch:
        batch.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_comments_file_id'), ['file_id'], unique=False)
        batch.create_foreign_key(batch.f('fk_comments_file_id_files'), 'files', ['file_id'], ['id'])
    with op.batch_alter_table('reviews') as batch:
        batch.add_column(sa.Column('carried_from', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reviews') as batch:
        batch.drop_column('carried_from')
    with op.batch_alter_table('comments') as batch:
        batch.drop_constraint(batch.f('fk_comments_file_id_files'), type_='foreignkey')
        batch.drop_index(batch.f('ix_comments_file_id'))
        batch.drop_column('file_id')
