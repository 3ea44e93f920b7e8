"""Statement documents as PDF, drawn with reportlab.

Text is set in reportlab's built-in CID font ``STSong-Light`` (the viewer supplies the
glyphs), so Chinese names show without shipping a font file; it carries Latin letters
and digits too, so one font serves the whole page. reportlab is imported on the first
document, not at start-up: it would cost every CLI command a fifth of a second.
"""

from __future__ import annotations

import io
from datetime import tzinfo
from typing import Any
from xml.sax.saxutils import escape

from ebank.application.history_search import day_start_us
from ebank.application.ports_customers import Direction
from ebank.application.statements import (
    Statement,
    closing_at_us,
    code_label,
    decimal_text,
    local_time,
)

FONT = "STSong-Light"
BANK_NAME = "ebank 电子银行"
MAX_CELL_CHARS = 40  # long references and names are cut: a statement line stays one line
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_HEADINGS = (
    "时间 Time",
    "类型 Type",
    "摘要 Reference",
    "对方 Counterparty",
    "借方 Debit",
    "贷方 Credit",
    "余额 Balance",
)


class ReportlabDocuments:
    """The ``DocumentRenderer`` port."""

    def statement_pdf(self, statement: Statement, tz: tzinfo) -> bytes:
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        text = ParagraphStyle("text", fontName=FONT, fontSize=9, leading=12)
        title = ParagraphStyle("title", fontName=FONT, fontSize=15, leading=20)
        out = io.BytesIO()
        number = statement.account.number
        doc = SimpleDocTemplate(
            out,
            pagesize=landscape(A4),
            leftMargin=12 * mm,
            rightMargin=12 * mm,
            topMargin=12 * mm,
            bottomMargin=14 * mm,
            title=f"Statement {number}",
            author=BANK_NAME,
            subject=f"{statement.first_day.isoformat()} - {statement.last_day.isoformat()}",
        )
        story: list[Any] = [
            Paragraph(escape(f"{BANK_NAME} 对账单 Account statement"), title),
            Spacer(1, 3 * mm),
            *(Paragraph(escape(line), text) for line in _heading_lines(statement, tz)),
            Spacer(1, 4 * mm),
            _entries_table(statement, tz),
        ]
        doc.build(story, onFirstPage=_page_footer, onLaterPages=_page_footer)
        return out.getvalue()


def _entries_table(statement: Statement, tz: tzinfo) -> Any:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    cur = statement.currency
    rows: list[list[str]] = [list(_HEADINGS)]
    for line in statement.lines:
        amount = decimal_text(line.amount_minor, cur)
        debit = line.direction is Direction.DEBIT
        party = line.counterparty
        rows.append(
            [
                local_time(line.at_us, tz).strftime(_TIME_FORMAT),
                code_label(line.code),
                _cut(line.reference),
                _cut(f"{party.number} {party.name}") if party else "",
                amount if debit else "",
                "" if debit else amount,
                decimal_text(line.balance_minor, cur),
            ]
        )
    widths = [36 * mm, 30 * mm, 58 * mm, 76 * mm, 25 * mm, 25 * mm, 27 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("ALIGN", (4, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.whitesmoke]),
            ]
        )
    )
    return table


def _heading_lines(statement: Statement, tz: tzinfo) -> list[str]:
    cur = statement.currency
    account = statement.account
    holder = statement.customer
    opened = local_time(day_start_us(statement.first_day, tz), tz).strftime(_TIME_FORMAT)
    closed = local_time(closing_at_us(statement, tz), tz).strftime(_TIME_FORMAT)
    return [
        f"账号 Account: {account.number}    户名 Name: {account.name}",
        f"客户号 Customer: {holder.number if holder else '-'}    "
        f"产品 Product: {account.product_code}    币种 Currency: {cur.code}    "
        f"开户网点 Branch: {account.branch_code}",
        f"期间 Period: {statement.first_day.isoformat()} - {statement.last_day.isoformat()}",
        f"期初余额 Opening balance ({opened}): {decimal_text(statement.opening_minor, cur)}",
        f"借方合计 Total debits: {decimal_text(statement.total_debits_minor, cur)}    "
        f"贷方合计 Total credits: {decimal_text(statement.total_credits_minor, cur)}    "
        f"笔数 Entries: {len(statement.lines)}",
        f"期末余额 Closing balance ({closed}): {decimal_text(statement.closing_minor, cur)}",
    ]


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _page_footer(canvas: Any, doc: Any) -> None:
    from reportlab.lib.units import mm

    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.drawRightString(
        doc.pagesize[0] - doc.rightMargin, 7 * mm, f"第 {doc.page} 页 Page {doc.page}"
    )
    canvas.restoreState()
