"""auth: sign-in codes keyed by phone number, for every number that asks (installer or not)

Revision ID: 0010_installer_codes_by_phone
Revises: 0009_process_heartbeats
Create Date: 2026-12-08 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_installer_codes_by_phone'
down_revision = '0009_process_heartbeats'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('installer_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
    # Existing codes belong to installers: their number now.
    op.execute(
        'UPDATE installer_codes SET phone = '
        '(SELECT installers.phone FROM installers WHERE installers.id = installer_codes.installer_id)'
    )
    op.execute("UPDATE installer_codes SET phone = '' WHERE phone IS NULL")
    with op.batch_alter_table('installer_codes', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column('installer_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_index('ix_installer_codes_installer_id_created_at')
        batch_op.create_index('ix_installer_codes_phone_created_at', ['phone', 'created_at'], unique=False)


def downgrade():
    # Rows of numbers that were no installer's have nothing to point at.
    op.execute('DELETE FROM installer_codes WHERE installer_id IS NULL')
    with op.batch_alter_table('installer_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_installer_codes_phone_created_at')
        batch_op.create_index('ix_installer_codes_installer_id_created_at', ['installer_id', 'created_at'], unique=False)
        batch_op.alter_column('installer_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('phone')
