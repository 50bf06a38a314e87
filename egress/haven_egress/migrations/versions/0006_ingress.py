"""the ingress queue: requests to bring files and packages into a project, and their events

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ingress_requests',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('media_type', sa.String(length=128), nullable=True),
    sa.Column('package_name', sa.String(length=128), nullable=True),
    sa.Column('package_version', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingress_requests'))
    )
    with op.batch_alter_table('ingress_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ingress_requests_author'), ['author'], unique=False)
        batch_op.create_index(batch_op.f('ix_ingress_requests_project'), ['project'], unique=False)
        batch_op.create_index(batch_op.f('ix_ingress_requests_sha256'), ['sha256'], unique=False)
    op.create_table('ingress_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['ingress_requests.id'],
                            name=op.f('fk_ingress_events_request_id_ingress_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingress_events'))
    )
    with op.batch_alter_table('ingress_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ingress_events_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ingress_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingress_events_request_id'))
    op.drop_table('ingress_events')
    with op.batch_alter_table('ingress_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingress_requests_sha256'))
        batch_op.drop_index(batch_op.f('ix_ingress_requests_project'))
        batch_op.drop_index(batch_op.f('ix_ingress_requests_author'))
    op.drop_table('ingress_requests')
