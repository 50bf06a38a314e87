"""close-out (G4): purged_files marks submitted files whose content was deleted

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('purged_files',
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('blob_deleted', sa.Boolean(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_purged_files_file_id_files')),
    sa.PrimaryKeyConstraint('file_id', name=op.f('pk_purged_files'))
    )


def downgrade() -> None:
    op.drop_table('purged_files')
