"""the accounts table as the built-in login first made it

Revision ID: 0001
Revises:
Create Date: 2026-12-02 01:30:00

Stores made before migrations existed are stamped with this revision or the next one
(``schema._unversioned_revision``), never re-created.
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'haven_accounts',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=False),
        sa.Column('totp_secret', sa.String(length=64), nullable=False),
        sa.Column('totp_enrolled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('roles', sa.JSON(), nullable=False),
        sa.Column('admin', sa.Boolean(), nullable=False),
        sa.Column('approved', sa.Boolean(), nullable=False),
        sa.Column('approved_until', sa.Date(), nullable=False),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('haven_accounts')
