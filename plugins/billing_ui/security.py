"""Who may use the Billing pages, and protection of the forms against cross-site requests.

Authentication is Airflow's own: `airflow.api_fastapi.core_api.security.get_user` reads the
JWT the UI holds (the `_token` cookie, or an `Authorization: Bearer` header) and the auth
manager validates it. Authorization asks the auth manager about the custom view "Billing".

CSRF: the first page sets a random per-session cookie (`billing_csrf`, HttpOnly,
SameSite=Strict, scoped to the plugin's path). Each form carries
HMAC(secret_key, user + cookie); a POST must bring the cookie, the matching form token,
and — when the browser sends them — Sec-Fetch-Site: same-origin and an Origin of this host.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response

log = logging.getLogger(__name__)

RESOURCE_NAME = "Billing"
CSRF_COOKIE = "billing_csrf"
CSRF_FIELD = "csrf_token"


class NotAuthenticated(HTTPException):
    """401/403 from Airflow's token check; the app renders it with a link to the login page."""


async def current_user(request: Request):
    """The signed-in Airflow user, or 401/403 exactly as Airflow's own API routes answer."""
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    try:
        credentials = await bearer_scheme(request)
        user = await get_user(request, None, credentials)
    except HTTPException as exc:
        raise NotAuthenticated(status_code=exc.status_code, detail=exc.detail) from None
    _authorize(request, user)
    return user


def _authorize(request: Request, user) -> None:
    from airflow.api_fastapi.app import get_auth_manager

    method = "GET" if request.method in ("GET", "HEAD") else "POST"
    if not get_auth_manager().is_authorized_custom_view(method=method, resource_name=RESOURCE_NAME, user=user):
        raise HTTPException(status_code=403, detail="Not allowed to use the Billing pages")


def user_name(user) -> str:
    return user.get_name()


def actor_of(user) -> str:
    """The claim-event actor for a person."""
    return f"user:{user_name(user)}"


def _secret() -> bytes:
    from airflow.configuration import conf

    key = conf.get("api", "secret_key", fallback="") or conf.get("api_auth", "jwt_secret", fallback="")
    if not key:
        raise RuntimeError("[api] secret_key is not set; the Billing forms need it for CSRF tokens")
    return key.encode()


def csrf_token_for(user, session_value: str) -> str:
    msg = f"{user_name(user)}:{session_value}".encode()
    return hmac.new(_secret(), msg, hashlib.sha256).hexdigest()


def ensure_csrf_session(request: Request) -> tuple[str, bool]:
    """(the session's CSRF cookie value, whether it is new and must be set)."""
    value = request.cookies.get(CSRF_COOKIE)
    if value and 20 <= len(value) <= 100:
        return value, False
    return secrets.token_urlsafe(32), True


def set_csrf_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https",
                        path=(request.scope.get("root_path") or "") + "/")


def _same_origin(request: Request, origin: str) -> bool:
    o = urlsplit(origin)
    host = request.headers.get("host", "")
    if f"{o.hostname}:{o.port}" == host or o.netloc == host:
        return True
    from airflow.configuration import conf

    base = urlsplit(conf.get("api", "base_url", fallback="") or "")
    return bool(base.netloc) and o.netloc == base.netloc and o.scheme == base.scheme


def check_csrf(request: Request, user, form_token: str | None) -> None:
    """Refuse (403) a state-changing request that did not come from our own form."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        raise HTTPException(status_code=403, detail="Cross-site request refused")
    origin = request.headers.get("origin")
    if origin is not None and (origin == "null" or not _same_origin(request, origin)):
        raise HTTPException(status_code=403, detail="Cross-origin request refused")
    session_value = request.cookies.get(CSRF_COOKIE)
    if not session_value or not form_token:
        raise HTTPException(status_code=403, detail="Missing CSRF token; reload the page and try again")
    if not hmac.compare_digest(csrf_token_for(user, session_value), form_token):
        raise HTTPException(status_code=403, detail="Invalid CSRF token; reload the page and try again")
