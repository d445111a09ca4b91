"""ops: one heartbeat row per long-running process (the scheduler)

Revision ID: 0009_process_heartbeats
Revises: 0008
Create Date: 2026-12-07 20:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_process_heartbeats'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # New table, nothing to carry over: /readyz says "degraded" until the scheduler beats.
    op.create_table(
        'process_heartbeats',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_process_heartbeats')),
    )


def downgrade():
    op.drop_table('process_heartbeats')
