"""counters kept per day and month only (weeks and quarters are summed when read)

Revision ID: 5c1d2e7f9a10
Revises: 898bdcedfac0
Create Date: 2026-12-05 07:40:00.000000
"""
from __future__ import annotations

from alembic import op


revision = '5c1d2e7f9a10'
down_revision = '898bdcedfac0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM counters WHERE period IN ('week', 'quarter')")


def downgrade() -> None:
    """Rebuild the week buckets from the days and the quarter buckets from the months."""
    if op.get_bind().dialect.name == "postgresql":
        week, quarter = "date_trunc('week', start)::date", "date_trunc('quarter', start)::date"
    else:
        week = "date(start, 'weekday 0', '-6 days')"  # the Monday of the day's week
        quarter = ("printf('%04d-%02d-01', CAST(strftime('%Y', start) AS INTEGER), "
                   "(CAST(strftime('%m', start) AS INTEGER) - 1) / 3 * 3 + 1)")
    for period, start, source in (("week", week, "day"), ("quarter", quarter, "month")):
        op.execute(f"INSERT INTO counters (prefix, dim, period, start, value, name, amount) "
                   f"SELECT prefix, dim, '{period}', {start}, value, name, SUM(amount) FROM counters "
                   f"WHERE period = '{source}' GROUP BY prefix, dim, {start}, value, name")
