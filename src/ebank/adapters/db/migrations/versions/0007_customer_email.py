"""customers' e-mail addresses (telephone banking sends statements there); a document
job's destination long enough to hold one

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))

    # An address may be 254 characters (RFC 5321); the column held 200.
    with op.batch_alter_table("document_jobs", schema=None) as batch_op:
        batch_op.alter_column(
            "destination",
            existing_type=sa.String(length=200),
            type_=sa.String(length=254),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("document_jobs", schema=None) as batch_op:
        batch_op.alter_column(
            "destination",
            existing_type=sa.String(length=254),
            type_=sa.String(length=200),
            existing_nullable=False,
        )

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("email")
