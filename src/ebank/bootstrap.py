"""The composition root: the one place that chooses implementations for the ports."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from ebank.adapters.clock import SystemClock, TimeOrderedIds
from ebank.adapters.crypto.soft_hsm import SoftwareHsm
from ebank.adapters.db.auditor import SqlLedgerAuditor
from ebank.adapters.db.balance_cache import BalanceCache
from ebank.adapters.db.engine import make_engine
from ebank.adapters.db.reports import SqlBankReports
from ebank.adapters.db.sms import ChannelCounter
from ebank.adapters.db.uow import SqlUnitOfWork
from ebank.adapters.documents import ReportlabDocuments
from ebank.adapters.security import security_services
from ebank.adapters.sms.console import ConsoleSms
from ebank.adapters.sms.smpp import SmppTransport
from ebank.adapters.sms.webhook import WebhookSms
from ebank.application.context import Context
from ebank.application.ports import Clock, IdGenerator
from ebank.application.ports_identity import SecurityPolicy, SecurityServices
from ebank.application.ports_sms import SmsTransport
from ebank.config import Settings
from ebank.domain.cards import CardPolicy


@dataclass(frozen=True, slots=True)
class Bank:
    settings: Settings
    engine: Engine
    ctx: Context
    # What this process last knew of the ledger's balances (PostgreSQL only; ADR 3).
    balances: BalanceCache | None = None

    @property
    def card_policy(self) -> CardPolicy:
        return self.settings.cards.policy()

    def close(self) -> None:
        self.engine.dispose()


def sms_transport(bank: Bank) -> SmsTransport:
    """The SMS transport the settings choose (``EBANK_SMS_TRANSPORT``)."""
    settings = bank.settings
    if settings.sms_transport == "smpp":
        return SmppTransport(
            settings.smpp_host,
            settings.smpp_port,
            settings.smpp_system_id,
            settings.smpp_password.get_secret_value(),
            settings.sms_source_addr,
            ChannelCounter(bank.engine, "smpp.sequence"),
        )
    if settings.sms_transport == "webhook":
        return WebhookSms(
            settings.sms_webhook_url,
            settings.sms_webhook_account,
            settings.sms_webhook_token.get_secret_value(),
            settings.sms_source_addr,
        )
    return ConsoleSms()


def build(
    settings: Settings | None = None, *, clock: Clock | None = None, ids: IdGenerator | None = None
) -> Bank:
    settings = settings or Settings()
    settings.check_for_production()
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    security = _security(settings)
    balances = BalanceCache.for_engine(engine)
    ctx = Context(
        uow=lambda: SqlUnitOfWork(engine, balances=balances),
        clock=clock or SystemClock(),
        ids=ids or TimeOrderedIds(),
        auditor=lambda: SqlLedgerAuditor(engine),
        reports=lambda: SqlBankReports(engine),
        reader=lambda: SqlUnitOfWork(engine, read_only=True),
        documents=ReportlabDocuments(),
        security=security,
        hsm=SoftwareHsm(settings.zone_key_specs(), settings.pin_verification_key_hex()),
    )
    return Bank(settings=settings, engine=engine, ctx=ctx, balances=balances)


def _security(settings: Settings) -> SecurityServices:
    policy = SecurityPolicy(
        access_token_ttl_s=settings.access_token_ttl_s,
        refresh_token_ttl_s=settings.refresh_token_ttl_s,
        lockout_threshold=settings.lockout_threshold,
        lockout_base_s=settings.lockout_base_s,
        lockout_max_s=settings.lockout_max_s,
    )
    # Cheap password hashing only for the test suite (never in dev or production).
    security = security_services(
        secret_key=settings.secret_key,
        policy=policy,
        fast_hashing=settings.environment == "test",
    )
    return security
