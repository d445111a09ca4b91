"""People who sign in to the web pages: brand and dealer staff, admins."""

from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.enums import Role
from app.auth.models import User
from app.auth.service import Principal, check_owner
from app.db import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.extensions import db

MIN_PASSWORD = 10
# Checked when the e-mail is unknown too, so the answer takes as long either way.
_DUMMY_HASH = generate_password_hash("not a real password")


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    brand_id: int | None = None,
    dealer_id: int | None = None,
) -> User:
    """Add a person; the password is stored as a salted hash (scrypt)."""
    role = check_owner("user", role, brand_id, dealer_id)
    if len(password) < MIN_PASSWORD:
        raise Unprocessable(
            f"Passwords need at least {MIN_PASSWORD} characters.",
            fields={"password": ["too short"]},
        )
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise Conflict(
            "A user with this e-mail exists.",
            code="duplicate_email",
            fields={"email": ["already used"]},
        )
    user = User(
        email=email,
        name=name,
        password_hash=generate_password_hash(password),
        role=role,
        brand_id=brand_id,
        dealer_id=dealer_id,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate_user(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    return user


def principal_of(user: User) -> Principal:
    """The principal a signed-in user acts as."""
    return Principal(
        role=Role(user.role),
        credential_id=user.id,
        brand_id=user.brand_id,
        dealer_id=user.dealer_id,
        credential_kind="user",
    )


def list_users() -> list[User]:
    """Every user, newest first."""
    return list(db.session.scalars(select(User).order_by(User.id.desc())))


def deactivate_user(user_id: int) -> User:
    """Stop a user signing in; their sessions end at the next request."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    user.active = False
    db.session.flush()
    return user
