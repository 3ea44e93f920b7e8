"""The one table from outcomes to protocol answers covers every outcome."""

from __future__ import annotations

import re

from ebank.domain import errors
from ebank.domain.transfers import Result
from ebank.entrypoints.error_codes import SYSTEM_ERROR, answer_for, known_codes


def test_every_ledger_result_has_an_answer() -> None:
    missing = [r.value for r in Result if r.value not in known_codes()]
    assert missing == []


def test_every_domain_error_has_an_answer() -> None:
    codes = {
        cls.code for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.DomainError)
        and cls not in (errors.DomainError, errors.TransferRefused)
    }
    assert codes - known_codes() == set()


def test_answers_are_well_formed() -> None:
    for code in known_codes():
        answer = answer_for(code)
        assert 200 <= answer.http_status < 500
        assert re.fullmatch(r"\d\d", answer.iso8583)
        assert answer.text


def test_unknown_code_is_a_system_error() -> None:
    assert answer_for("no_such_code") is SYSTEM_ERROR
    assert SYSTEM_ERROR.iso8583 == "96" and SYSTEM_ERROR.http_status == 500


def test_success_and_insufficient_funds() -> None:
    assert answer_for(Result.OK).iso8583 == "00"
    assert answer_for(Result.EXCEEDS_CREDITS).iso8583 == "51"
    assert answer_for(Result.EXCEEDS_CREDITS).http_status == 422
