"""provenance of each request version: the environment its files were made in

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:40:00

A JSON document per version (image digest, kernel package versions, dataset versions mounted
in the server the request came from). Versions filed before this revision have none (NULL),
which the pages show as "not recorded".
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('request_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provenance', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('request_versions', schema=None) as batch_op:
        batch_op.drop_column('provenance')
