"""The one table from outcomes to protocol answers covers every outcome."""

from __future__ import annotations

import importlib
import pkgutil
import re

import ebank
from ebank.domain import errors
from ebank.domain.transfers import Result
from ebank.entrypoints.error_codes import SYSTEM_ERROR, answer_for, known_codes


def test_every_ledger_result_has_an_answer() -> None:
    missing = [r.value for r in Result if r.value not in known_codes()]
    assert missing == []


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_domain_error_has_an_answer() -> None:
    # Import every module that may define a DomainError, then walk the class tree.
    for module in pkgutil.walk_packages(ebank.__path__, "ebank."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    codes = {
        cls.code
        for cls in _subclasses(errors.DomainError)
        if cls is not errors.TransferRefused  # carries a ledger Result, checked above
    }
    assert "import_rejected" in codes
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
