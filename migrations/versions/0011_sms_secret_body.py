"""notify: sign-in codes and invite links kept out of the outbox's body (sms_outbox.secret_body)

Revision ID: 0011_sms_secret_body
Revises: 0010_installer_codes_by_phone
Create Date: 2026-12-08 04:10:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_sms_secret_body'
down_revision = '0010_installer_codes_by_phone'
branch_labels = None
depends_on = None

MASK = '******'
SECRETS = {
    'installer_code': (re.compile(r'\b\d{6}\b'), MASK),
    'installer_invite': (re.compile(r'(#invite=)[A-Za-z0-9_-]+'), r'\g<1>' + MASK),
}


def upgrade():
    with op.batch_alter_table('sms_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_body', sa.Text(), nullable=True))
    # Codes and links already in the outbox: masked; one still to be sent keeps its text apart.
    outbox = sa.table(
        'sms_outbox',
        sa.column('id', sa.Integer),
        sa.column('template', sa.String),
        sa.column('status', sa.String),
        sa.column('body', sa.Text),
        sa.column('secret_body', sa.Text),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(outbox.c.id, outbox.c.template, outbox.c.status, outbox.c.body).where(
            outbox.c.template.in_(list(SECRETS))
        )
    ).all()
    for row in rows:
        pattern, replacement = SECRETS[row.template]
        waiting = row.status in ('pending', 'sending')
        bind.execute(
            outbox.update()
            .where(outbox.c.id == row.id)
            .values(
                body=pattern.sub(replacement, row.body),
                secret_body=row.body if waiting else None,
            )
        )


def downgrade():
    outbox = sa.table('sms_outbox', sa.column('body', sa.Text), sa.column('secret_body', sa.Text))
    op.execute(
        outbox.update()
        .where(outbox.c.secret_body.is_not(None))
        .values(body=outbox.c.secret_body)
    )
    with op.batch_alter_table('sms_outbox', schema=None) as batch_op:
        batch_op.drop_column('secret_body')
