"""accreditations of people (G2, issue #17 item 2): one row per change, never updated

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:50:00

In the accounts database but keyed by username only, so OIDC deployments (which keep no
account rows here) record accreditations in the same table.
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'haven_accreditations',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('username', sa.String(32), nullable=False),
        sa.Column('kind', sa.String(40), nullable=False),
        sa.Column('change', sa.String(10), nullable=False),
        sa.Column('awarded_on', sa.Date(), nullable=True),
        sa.Column('expires_on', sa.Date(), nullable=True),
        sa.Column('awarded_by', sa.String(200), nullable=False, server_default=''),
        sa.Column('evidence', sa.Text(), nullable=False, server_default=''),
        sa.Column('reason', sa.Text(), nullable=False, server_default=''),
        sa.Column('recorded_by', sa.String(64), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_haven_accreditations_username_kind', 'haven_accreditations', ['username', 'kind'])


def downgrade() -> None:
    op.drop_index('ix_haven_accreditations_username_kind', table_name='haven_accreditations')
    op.drop_table('haven_accreditations')
