"""sla: when each promise turns at risk (business time), open plan issues on the booked day

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 19:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

PROMISES = ('assign', 'contact', 'schedule', 'complete')


def upgrade():
    with op.batch_alter_table('job_sla', schema=None) as batch_op:
        for promise in PROMISES:
            batch_op.add_column(sa.Column(f'{promise}_risk_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('plan_issue_date', sa.Date(), nullable=True))
    # Existing jobs: four fifths of the wall-clock span, as before. `flask sla rebuild`
    # recomputes them in business time for business-hours policies.
    postgres = op.get_bind().dialect.name == 'postgresql'
    for promise in PROMISES:
        due = f'{promise}_due'
        value = (
            f'created_at + ({due} - created_at) * 0.8'
            if postgres
            else f'datetime(julianday(created_at) + (julianday({due}) - julianday(created_at)) * 0.8)'
        )
        op.execute(f'UPDATE job_sla SET {promise}_risk_at = {value} WHERE {due} IS NOT NULL')


def downgrade():
    with op.batch_alter_table('job_sla', schema=None) as batch_op:
        batch_op.drop_column('plan_issue_date')
        for promise in reversed(PROMISES):
            batch_op.drop_column(f'{promise}_risk_at')
