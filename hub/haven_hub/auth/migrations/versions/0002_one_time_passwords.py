"""a handed-over password must be changed at the first login

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 01:30:00

Accounts made before one-time passwords chose or were given their password under the old
rules, so none of them is asked to change it now.
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('haven_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('haven_accounts', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
