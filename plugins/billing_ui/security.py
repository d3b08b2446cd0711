"""Who may use the Billing pages, and protection of the forms against cross-site requests.

Authentication is Airflow's own: `airflow.api_fastapi.core_api.security.get_user` reads the
JWT the UI holds (the `_token` cookie, or an `Authorization: Bearer` header) and the auth
manager validates it.

Authorization: looking needs GET on the custom view "Billing"; every action needs more
(`require`). Working the queue (assign, correct, resolve, release, appeal) needs POST on
"Billing"; writing money off, and approving someone else's write-off, needs POST on
"Billing Write-off". FAB and Keycloak take these as custom resources (grant them to roles).
The simple auth manager answers every custom view at viewer level whatever the method, so
for it the roles map as documented in the README: viewer looks only, user works the queue,
op and admin also write off.

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
WRITE_OFF_RESOURCE = "Billing Write-off"
# permission -> (custom resource, method, the simple auth manager's lowest role that has it)
PERMISSIONS = {
    "view": (RESOURCE_NAME, "GET", "VIEWER"),
    "work": (RESOURCE_NAME, "POST", "USER"),
    "write_off": (WRITE_OFF_RESOURCE, "POST", "OP"),
}
WORDS = {"view": "use the Billing pages", "work": "change work items",
         "write_off": "write off money or approve a write-off"}
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
    require(user, "view")


def allowed(user, permission: str) -> bool:
    """Whether `user` has one of PERMISSIONS, asked of the configured auth manager."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import (
        SimpleAuthManager,
        SimpleAuthManagerRole,
    )

    resource, method, simple_role = PERMISSIONS[permission]
    manager = get_auth_manager()
    if isinstance(manager, SimpleAuthManager):
        # its is_authorized_custom_view ignores the method: use the documented role mapping
        role = (getattr(user, "role", None) or "").upper()
        if role not in SimpleAuthManagerRole.__members__:
            return False
        return SimpleAuthManagerRole[role].order >= SimpleAuthManagerRole[simple_role].order
    return bool(manager.is_authorized_custom_view(method=method, resource_name=resource, user=user))


def require(user, permission: str) -> None:
    """403 unless the user has the permission."""
    if not allowed(user, permission):
        raise HTTPException(status_code=403, detail=f"Your role may not {WORDS[permission]}")


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
