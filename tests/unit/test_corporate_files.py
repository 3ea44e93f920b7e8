"""Reading batch payment files: the format's edges (byte-order mark, header, quoting,
blank lines) and the problems of a file as a whole."""

from __future__ import annotations

from ebank.application.corporate_files import FileLine, read_file
from ebank.domain.accounts import account_number

A = account_number("0100", 131)
B = account_number("0100", 149)


def test_a_spreadsheet_export_with_bom_header_quotes_and_blank_lines_reads_cleanly() -> None:
    data = (
        "\ufeffaccount_number,name,amount,reference\r\n"
        f'{A},李雷,8000.00,"November, salary"\r\n'
        "\r\n"
        f"{B}, 韩梅梅 ,9500.5\r\n"
    ).encode()
    lines, problems = read_file(data, "CNY")
    assert problems == []
    assert lines == [
        FileLine(2, A, "李雷", 800_000, "November, salary"),
        FileLine(4, B, "韩梅梅", 950_050, ""),
    ]


def test_bad_amounts_and_files_are_named() -> None:
    data = f"{A},李雷,-5.00\n{B},韩梅梅,1,000.00,salary\n{A},李雷,1e3\n".encode()
    _, problems = read_file(data, "CNY")
    assert problems == [
        (1, "amount_not_positive", {}),
        (2, "field_count", {"found": "5"}),
        (3, "amount_invalid", {"places": "2"}),
    ]
    assert read_file(b"\n\n", "CNY") == ([], [(0, "empty_file", {})])
    assert read_file("李雷".encode("gb18030"), "CNY") == ([], [(0, "not_utf8", {})])
    # a header only on the first line: the same words later are a bad line
    _, later = read_file(f"{A},李雷,1.00\naccount_number,name,amount\n".encode(), "CNY")
    assert later == [(2, "account_number_invalid", {}), (2, "amount_invalid", {"places": "2"})]
