"""The Bank API: sign-in, tokens, sessions, password and second-factor enrolment."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from ebank.application import credentials, identity, sessions
from ebank.domain.access import Role
from ebank.entrypoints.api import users
from ebank.entrypoints.api.deps import (
    ActorDep,
    CtxDep,
    allows_enrolment_session,
    client_address,
    route,
)
from ebank.entrypoints.api.users import UserOut

router = APIRouter(tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    otp: str = Field(default="", max_length=10, description="The authenticator app's code")


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme, not a secret
    expires_in_s: int = Field(description="Seconds until the access token expires")
    scope: str = Field(description="full, or enrol: the session may only enrol a second factor")
    session_id: str

    @classmethod
    def of(cls, tokens: sessions.Tokens) -> TokensOut:
        return cls(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            token_type=tokens.token_type,
            expires_in_s=tokens.expires_in_s,
            scope=tokens.scope,
            session_id=tokens.session_id,
        )


def _user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")[:200]


@route(router, "POST", "/auth/login", roles=None, response_model=TokensOut)
def login(body: LoginIn, request: Request, ctx: CtxDep) -> TokensOut:
    """Sign in with user name, password and the authenticator app's current code.

    A user who has not enrolled an authenticator app yet gets a session of scope
    ``enrol``, which may only call the enrolment endpoints."""
    tokens = identity.login(
        ctx,
        body.username,
        body.password,
        body.otp,
        client_address=client_address(request),
        user_agent=_user_agent(request),
    )
    return TokensOut.of(tokens)


ANYONE_SIGNED_IN = frozenset(Role)


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=256)


@route(router, "POST", "/auth/refresh", roles=None, response_model=TokensOut)
def refresh(body: RefreshIn, request: Request, ctx: CtxDep) -> TokensOut:
    """New access and refresh tokens; the old pair stops working. Presenting a refresh
    token that was already used ends the whole session."""
    return TokensOut.of(sessions.refresh(ctx, body.refresh_token, client_address(request)))


@route(router, "POST", "/auth/logout", roles=ANYONE_SIGNED_IN, status_code=204)
def logout(ctx: CtxDep, actor: ActorDep) -> None:
    """End this session."""
    sessions.logout(ctx, actor)


class SessionOut(BaseModel):
    session_id: str
    scope: str
    created_at_us: int
    last_used_at_us: int
    expires_at_us: int
    client_address: str
    user_agent: str
    current: bool = Field(description="Whether this is the session making the request")


@route(router, "GET", "/auth/sessions", roles=ANYONE_SIGNED_IN, response_model=list[SessionOut])
def list_sessions(ctx: CtxDep, actor: ActorDep) -> list[SessionOut]:
    """Your live sessions, newest first."""
    return [SessionOut(**asdict(s)) for s in sessions.list_sessions(ctx, actor)]


@route(router, "DELETE", "/auth/sessions/{session_id}", roles=ANYONE_SIGNED_IN, status_code=204)
def revoke_session(session_id: str, ctx: CtxDep, actor: ActorDep) -> None:
    """End one of your sessions (on a lost phone, say)."""
    sessions.revoke_session(ctx, actor, session_id)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)
    otp: str = Field(min_length=1, max_length=10, description="A fresh one-time code")


@route(router, "POST", "/auth/password", roles=ANYONE_SIGNED_IN, status_code=204)
def change_password(body: PasswordChangeIn, ctx: CtxDep, actor: ActorDep) -> None:
    """Change your password: needs the old one and a fresh code. Ends every session,
    this one too: sign in again."""
    credentials.change_password(ctx, actor, body.old_password, body.new_password, body.otp)


class EnrolmentOut(BaseModel):
    secret: str = Field(description="Base32, for typing into the app; shown only now")
    otpauth_uri: str
    qr_svg: str = Field(description="The otpauth URI as a QR code (SVG)")


@route(router, "POST", "/auth/totp/enrolment", roles=ANYONE_SIGNED_IN, response_model=EnrolmentOut)
@allows_enrolment_session
def start_enrolment(ctx: CtxDep, actor: ActorDep) -> EnrolmentOut:
    """Start enrolling an authenticator app (a session of scope ``enrol`` may call it)."""
    return EnrolmentOut(**asdict(credentials.start_enrolment(ctx, actor)))


class EnrolmentConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    otp: str = Field(min_length=1, max_length=10, description="The app's current code")


@route(
    router,
    "POST",
    "/auth/totp/enrolment/confirm",
    roles=ANYONE_SIGNED_IN,
    response_model=TokensOut,
)
@allows_enrolment_session
def confirm_enrolment(
    body: EnrolmentConfirmIn, request: Request, ctx: CtxDep, actor: ActorDep
) -> TokensOut:
    """Confirm the enrolment with the app's current code; answers with a full session
    (the enrolment-only session ends)."""
    tokens = credentials.confirm_enrolment(
        ctx, actor, body.otp, client_address(request), _user_agent(request)
    )
    return TokensOut.of(tokens)


@route(router, "GET", "/me", roles=ANYONE_SIGNED_IN, response_model=UserOut)
def me(ctx: CtxDep, actor: ActorDep) -> UserOut:
    """Who you are signed in as."""
    return UserOut.of(credentials.me(ctx, actor))


# The user administration lives in its own module, served under this router.
router.include_router(users.router)
