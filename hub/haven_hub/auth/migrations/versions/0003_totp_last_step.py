"""the last TOTP time step each account used, so a code is accepted once (RFC 6238 §5.2)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 01:30:00

Empty for existing accounts: their next code is accepted, and from then on no earlier one.
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('haven_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('haven_accounts', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
