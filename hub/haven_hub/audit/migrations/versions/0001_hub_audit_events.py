"""the hub's audit chain as the first release made it (chain.audit_table)

Revision ID: 0001
Revises:
Create Date: 2026-12-02 04:30:00

Logs made before migrations existed are stamped with this revision (``schema._unversioned_revision``),
never re-created: their events and hash chain stay as they are.
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'hub_audit_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('time', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('target', sa.String(length=128), nullable=False),
        sa.Column('project', sa.String(length=64), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    for column in ('action', 'target', 'project'):
        op.create_index(f'ix_hub_audit_events_{column}', 'hub_audit_events', [column], unique=False)


def downgrade() -> None:
    op.drop_table('hub_audit_events')
