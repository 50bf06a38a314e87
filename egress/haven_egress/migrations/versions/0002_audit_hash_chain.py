"""audit events form a hash chain

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 17:50:00

Events written before the chain existed are chained here, oldest first, so the whole
table verifies. The hash is computed inline (not imported) so this migration keeps
meaning what it meant when later code changes.
"""

import hashlib
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _hash(prev: str, row) -> str:
    time = row.time.replace(tzinfo=UTC) if row.time.tzinfo is None else row.time.astimezone(UTC)
    body = {"time": time.isoformat(), "actor": row.actor, "action": row.action, "target": row.target,
            "project": row.project, "details": row.details}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(prev.encode() + b"\n" + canonical).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    events = sa.table('audit_events', sa.column('id', sa.Integer), sa.column('time', sa.DateTime(timezone=True)),
                      sa.column('actor', sa.String), sa.column('action', sa.String), sa.column('target', sa.String),
                      sa.column('project', sa.String), sa.column('details', sa.JSON),
                      sa.column('prev_hash', sa.String), sa.column('hash', sa.String))
    connection = op.get_bind()
    prev = GENESIS
    for row in connection.execute(sa.select(events).order_by(events.c.id)).all():
        digest = _hash(prev, row)
        connection.execute(events.update().where(events.c.id == row.id).values(prev_hash=prev, hash=digest))
        prev = digest
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
