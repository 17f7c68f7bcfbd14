"""The manager login that `make run` guarantees."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model


@dataclass(frozen=True)
class ManagerResult:
    username: str
    created: bool
    message: str


def ensure_manager(
    *,
    username: str | None = None,
    password: str | None = None,
    password_file: Path | None = None,
) -> ManagerResult:
    """Create the manager if missing. A generated password is kept in var/ so it can be shown
    again on the next start; a configured MANAGER_PASSWORD is applied to the account."""
    username = username or settings.MANAGER_USERNAME
    password = password if password is not None else settings.MANAGER_PASSWORD
    password_file = password_file or (settings.VAR_DIR / "manager_password")
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if password:
        if user is None:
            User.objects.create_superuser(username=username, password=password, email="")
            return ManagerResult(username, True, f"Login: {username} / (MANAGER_PASSWORD)")
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return ManagerResult(username, False, f"Login: {username} / (MANAGER_PASSWORD)")
    if user is None:
        # One generated password per machine: the demo and live databases share it.
        stored = (
            password_file.read_text(encoding="utf-8").strip() if password_file.is_file() else ""
        )
        generated = stored or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, password=generated, email="")
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(generated + "\n", encoding="utf-8")
        password_file.chmod(0o600)
        return ManagerResult(username, True, f"Login: {username} / {generated}  (generated)")
    if password_file.is_file():
        stored = password_file.read_text(encoding="utf-8").strip()
        if user.check_password(stored):
            return ManagerResult(username, False, f"Login: {username} / {stored}  (generated)")
    return ManagerResult(username, False, f"Login: {username} / (the password you set)")
