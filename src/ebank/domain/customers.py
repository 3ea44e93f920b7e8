"""Customers: individuals and corporates (法人), each with a tier (客户分层) that later
drives limits, fees and service."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ebank.domain.errors import InvalidInput


class CustomerKind(StrEnum):
    INDIVIDUAL = "individual"
    CORPORATE = "corporate"


class Tier(StrEnum):
    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class IdType(StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证
    PASSPORT = "passport"
    BUSINESS_LICENCE = "business_licence"  # unified social credit code
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    number: str
    kind: CustomerKind
    name: str
    tier: Tier
    id_type: IdType
    id_number: str
    branch_code: str
    phone: str = ""
    email: str = ""  # "": none on file

    def __post_init__(self) -> None:
        check_customer_fields(
            self.kind, self.name, self.id_type, self.id_number, self.phone, self.email
        )


MAX_PHONE_LENGTH = 32
MAX_EMAIL_LENGTH = 254  # the longest address SMTP carries (RFC 5321)


def check_email(email: str) -> None:
    """A plausible address or none ("") — not proof that it reaches anyone."""
    if not email:
        return
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidInput(f"e-mail address longer than {MAX_EMAIL_LENGTH} characters")
    if any(ch.isspace() for ch in email):
        raise InvalidInput("an e-mail address has no spaces")
    local, at, domain = email.partition("@")
    if not at or "@" in domain or not local or not domain:
        raise InvalidInput("an e-mail address has one @ between a name and a domain")


def masked_email(email: str) -> str:
    """An address as audit details and logs may show it: ``w***@example.com``."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}" if email else ""


def check_customer_fields(
    kind: CustomerKind,
    name: str,
    id_type: IdType,
    id_number: str,
    phone: str = "",
    email: str = "",
) -> None:
    if len(phone) > MAX_PHONE_LENGTH:
        raise InvalidInput(f"phone longer than {MAX_PHONE_LENGTH} characters")
    check_email(email)
    if not name.strip() or len(name) > 200:
        raise InvalidInput("customer name must be 1 to 200 characters")
    if not id_number.strip() or len(id_number) > 40:
        raise InvalidInput("identity document number must be 1 to 40 characters")
    if kind is CustomerKind.CORPORATE and id_type in (IdType.RESIDENT_ID, IdType.PASSPORT):
        raise InvalidInput("a corporate customer is identified by its business licence")
    if kind is CustomerKind.INDIVIDUAL and id_type is IdType.BUSINESS_LICENCE:
        raise InvalidInput("an individual is not identified by a business licence")


def customer_number(serial: int) -> str:
    if not 0 < serial < 10**10:
        raise InvalidInput("customer serial out of range")
    return f"C{serial:010d}"
