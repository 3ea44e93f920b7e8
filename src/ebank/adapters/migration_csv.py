"""Reading the data-migration files (customers.csv, accounts.csv and, if there are cards,
cards.csv) and writing the mapping.

The files are UTF-8 (a byte-order mark is allowed, as spreadsheet programs write one),
comma separated, with a header row naming the columns in any order. Each problem is
reported as ``file:line: what is wrong``; the line is where the row starts in the file.
Only the format is checked here; what the values mean is checked by the use case.
"""

from __future__ import annotations

import codecs
import csv
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import astuple, dataclass, field, fields
from pathlib import Path

from ebank.application.migration import (
    MAX_ROWS,
    AccountRecord,
    CardRecord,
    CustomerRecord,
    ImportBatch,
    Issue,
    MappingRow,
)

CUSTOMER_COLUMNS = (
    "legacy_id",
    "kind",
    "name",
    "tier",
    "id_type",
    "id_number",
    "branch_code",
    "phone",
)
ACCOUNT_COLUMNS = (
    "legacy_account_no",
    "customer_legacy_id",
    "branch_code",
    "product_code",
    "currency",
    "opening_balance",
    "overdraft_limit",
    "status",
)
CARD_COLUMNS = (
    "pan",
    "expiry",
    "status",
    "customer_legacy_id",
    "savings_account",
    "checking_account",
    "atm_daily_limit",
    "atm_daily_count",
    "pos_daily_limit",
    "pin_block",
)
MAPPING_COLUMNS = tuple(f.name for f in fields(MappingRow))
MAX_FIELD_CHARS = 1000  # no column needs more; a longer field is a broken file


@dataclass(slots=True)
class _Read:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    readable: bool = True  # False: the header or the encoding was wrong, or reading stopped


def read_import_files(
    customers_path: Path,
    accounts_path: Path,
    max_rows: int = MAX_ROWS,
    cards_path: Path | None = None,
) -> ImportBatch:
    """The files as records, with every format problem found."""
    customers = read_rows(customers_path, CUSTOMER_COLUMNS, max_rows)
    accounts = read_rows(accounts_path, ACCOUNT_COLUMNS, max_rows)
    cards = read_rows(cards_path, CARD_COLUMNS, max_rows) if cards_path else _Read()
    c_name, a_name = customers_path.name, accounts_path.name
    k_name = cards_path.name if cards_path else ""
    return ImportBatch(
        customers_file=c_name,
        accounts_file=a_name,
        customers=[CustomerRecord(c_name, line, **values) for line, values in customers.rows],
        accounts=[AccountRecord(a_name, line, **values) for line, values in accounts.rows],
        issues=customers.issues + accounts.issues + cards.issues,
        customers_readable=customers.readable,
        cards_file=k_name,
        cards=[CardRecord(k_name, line, **values) for line, values in cards.rows],
        accounts_readable=accounts.readable,
    )


def read_rows(path: Path, columns: Sequence[str], max_rows: int = MAX_ROWS) -> _Read:
    """The rows of one file as ``(line, {column: stripped text})``."""
    out = _Read()
    name = path.name
    try:
        with path.open("rb") as f:
            _read(f, name, columns, max_rows, out)
    except OSError as exc:
        out.issues.append(Issue(name, 0, f"cannot read the file: {exc.strerror or exc}"))
        out.readable = False
    return out


class _NotUtf8(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _text_lines(raw_lines: Iterable[bytes]) -> Iterator[str]:
    """Decoded line by line, so that a bad byte is reported on its own line."""
    for n, raw in enumerate(raw_lines, 1):
        try:
            yield (raw.removeprefix(codecs.BOM_UTF8) if n == 1 else raw).decode("utf-8")
        except UnicodeDecodeError:
            raise _NotUtf8(n) from None


def _read(
    raw_lines: Iterable[bytes], name: str, columns: Sequence[str], max_rows: int, out: _Read
) -> None:
    header: list[str] | None = None
    reader = csv.reader(_text_lines(raw_lines), strict=True)
    line = 1
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if header is None:
                header = [cell.strip().lower() for cell in row]
                if not _header_ok(header, columns, name, start, out):
                    out.readable = False
                    return
                continue
            if len(out.rows) >= max_rows:
                out.issues.append(
                    Issue(
                        name,
                        start,
                        f"more than {max_rows} rows: split the migration (by branch, for example)",
                    )
                )
                out.readable = False
                return
            _row(row, header, name, start, out)
    except _NotUtf8 as exc:
        out.issues.append(Issue(name, exc.line, "not UTF-8 text: save the file as UTF-8"))
        out.readable = False
        return
    except csv.Error as exc:
        out.issues.append(Issue(name, line, f"not valid CSV: {exc}"))
        out.readable = False
        return
    if header is None:
        out.issues.append(Issue(name, 0, "the file is empty: a header row is required"))
        out.readable = False


def _header_ok(header: list[str], columns: Sequence[str], name: str, line: int, out: _Read) -> bool:
    problems = []
    missing = [c for c in columns if c not in header]
    unexpected = [c for c in header if c not in columns]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected column(s): {', '.join(repr(c) for c in unexpected)}")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        out.issues.append(
            Issue(
                name,
                line,
                "wrong header: " + "; ".join(problems) + f" (expected: {','.join(columns)})",
            )
        )
    return not problems


def _row(row: list[str], header: list[str], name: str, line: int, out: _Read) -> None:
    if len(row) != len(header):
        out.issues.append(Issue(name, line, f"expected {len(header)} fields, found {len(row)}"))
        return
    too_long = [c for c, v in zip(header, row, strict=True) if len(v) > MAX_FIELD_CHARS]
    if too_long:
        out.issues.append(
            Issue(name, line, f"{too_long[0]} longer than {MAX_FIELD_CHARS} characters")
        )
        return
    out.rows.append((line, {c: v.strip() for c, v in zip(header, row, strict=True)}))


def write_mapping(path: Path, rows: Sequence[MappingRow]) -> None:
    """Write the mapping CSV (UTF-8, header row) atomically: a reader never sees half."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(MAPPING_COLUMNS)
            writer.writerows(astuple(r) for r in rows)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
