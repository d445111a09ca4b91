"""jobs: orders with visits (every existing job becomes an order with one visit)

Revision ID: 0012_orders
Revises: 0011_sms_secret_body
Create Date: 2026-12-08 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_orders'
down_revision = '0011_sms_secret_body'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('brand_id', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(length=100), nullable=False),
        sa.Column('goods_expected_on', sa.Date(), nullable=True),
        sa.Column('goods_received_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['brand_id'], ['brands.id'], name=op.f('fk_orders_brand_id_brands'), ondelete='RESTRICT'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
        sa.UniqueConstraint('brand_id', 'external_id', name=op.f('uq_orders_brand_id_external_id')),
    )
    # Every existing job becomes an order with one visit, under the same id and the brand's
    # own order id: links, SMS and SLA facts keep meaning what they meant. No goods rule
    # (needs_goods false) and no dependency, so every booked window stays valid.
    op.execute(
        "INSERT INTO orders (id, brand_id, external_id, created_at) "
        "SELECT id, brand_id, external_id, created_at FROM jobs"
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "SELECT setval(pg_get_serial_sequence('orders', 'id'), "
            "COALESCE((SELECT MAX(id) FROM orders), 0) + 1, false)"
        )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('sequence', sa.Integer(), nullable=False, server_default='1')
        )
        batch_op.add_column(
            sa.Column('needs_goods', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('after_job_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('min_gap_hours', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                'same_crew_same_day', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.execute("UPDATE jobs SET order_id = id")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.alter_column('order_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('sequence', server_default=None)
        batch_op.alter_column('needs_goods', server_default=None)
        batch_op.alter_column('same_crew_same_day', server_default=None)
        batch_op.create_foreign_key(
            batch_op.f('fk_jobs_order_id_orders'), 'orders', ['order_id'], ['id'],
            ondelete='RESTRICT',
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_jobs_after_job_id_jobs'), 'jobs', ['after_job_id'], ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_index(batch_op.f('ix_jobs_order_id'), ['order_id'], unique=False)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_order_id'))
        batch_op.drop_constraint(batch_op.f('fk_jobs_after_job_id_jobs'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_jobs_order_id_orders'), type_='foreignkey')
        batch_op.drop_column('same_crew_same_day')
        batch_op.drop_column('min_gap_hours')
        batch_op.drop_column('after_job_id')
        batch_op.drop_column('needs_goods')
        batch_op.drop_column('sequence')
        batch_op.drop_column('order_id')
    op.drop_table('orders')
