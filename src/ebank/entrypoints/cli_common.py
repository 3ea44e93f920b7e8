"""What the ``ebank`` commands share: the consoles, turning refusals into exit codes,
parsing amounts, formatting times and amounts, progress bars."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.bootstrap import Bank, build
from ebank.domain.errors import DomainError, InvalidInput
from ebank.domain.money import Currency, Money, format_minor
from ebank.entrypoints.error_codes import answer_for_error

out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def refusals(func: F) -> F:
    """Turn a business refusal into a clear message and exit code 1, bad input into 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidInput as exc:
            err.print(f"[red]invalid input[/red] ({exc.code}): {exc.message}")
            raise typer.Exit(2) from None
        except DomainError as exc:
            answer = answer_for_error(exc)
            err.print(
                f"[red]refused[/red] ({exc.code}): {answer.text}"
                + (f" — {exc.message}" if exc.message != exc.code else "")
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def open_bank() -> Bank:
    return build()


def parse_money(amount: str, currency: str) -> Money:
    money = Money.parse(amount, currency)
    if money.minor <= 0:
        raise InvalidInput("the amount must be positive")
    return money


def when(us: int) -> str:
    at = datetime.fromtimestamp(us // 1_000_000, UTC).astimezone(BANK_TIMEZONE)
    return at.strftime("%Y-%m-%d %H:%M:%S")


def fmt(minor: int, currency: str) -> str:
    return format_minor(minor, Currency.of(currency))


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


@contextmanager
def bank_refusing() -> Iterator[Bank]:
    """The bank, closed afterwards; a refusal inside is printed with its code and exits
    (1 for a business refusal, 2 for bad input)."""
    bank = build()
    try:
        yield bank
    except DomainError as exc:
        err.print(f"[red]refused[/red] ({exc.code}): {answer_for_error(exc).text}")
        raise typer.Exit(2 if isinstance(exc, InvalidInput) else 1) from None
    finally:
        bank.close()
