"""The Billing pages: a FastAPI app Airflow's api-server mounts under /billing.

Server-rendered (Jinja2 templates in include/templates/ui/), no build step. Every route
needs a signed-in Airflow user; every POST is one database transaction, checked for CSRF,
and answered with a redirect (303) back to the page. URLs carry ids only, never PHI.
"""

from __future__ import annotations

import logging
import os
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from include.billing import patient_accounts as pa
from include.billing import workqueue as wq
from include.billing import write_off_approval as woa
from include.billing.accounts import load_accounts

from .kpi_cache import KpiCache
from .security import (
    CSRF_FIELD,
    NotAuthenticated,
    actor_of,
    allowed,
    check_csrf,
    csrf_token_for,
    current_user,
    ensure_csrf_session,
    require,
    set_csrf_cookie,
    user_name,
)

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "include" / "templates" / "ui"
PERIODS = {"today": "Today", "week": "Last 7 days", "month": "Last 30 days", "mtd": "Month to date"}
SECURITY_HEADERS = {
    # pages hold PHI: never cached; framed only by Airflow's own UI (same origin)
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "script-src 'none'; frame-ancestors 'self'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
kpi_cache = KpiCache(ttl=float(os.environ.get("BILLING_UI_KPI_TTL", "300")))


def _money(value) -> str:
    if value is None:
        return "–"
    return f"${Decimal(value):,.2f}"


def _pct(value) -> str:
    return "–" if value is None else f"{Decimal(value) * 100:.1f} %"


templates.env.filters["money"] = _money
templates.env.filters["pct"] = _pct


def open_connection():
    """A psycopg 3 connection from the Airflow connection `billing_db` (looked up now, not at import).

    Autocommit, so reads hold no transaction; each action opens its own `conn.transaction()`.
    """
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from include.dag_support import BILLING_DB_CONN_ID

    conn = PostgresHook(postgres_conn_id=BILLING_DB_CONN_ID).get_conn()
    conn.autocommit = True
    return conn


def get_conn():
    """One connection per request, closed after it."""
    conn = open_connection()
    try:
        yield conn
    finally:
        conn.close()


User = Annotated[object, Depends(current_user)]
Conn = Annotated[object, Depends(get_conn)]
Token = Annotated[str | None, Form(alias=CSRF_FIELD)]


def _airflow_base() -> str:
    from airflow.configuration import conf

    return urlsplit(conf.get("api", "base_url", fallback="/") or "/").path.rstrip("/")


def _render(request: Request, user, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    session_value, new = ensure_csrf_session(request)
    root = request.scope.get("root_path", "")
    ctx = {
        "request": request, "user": user_name(user), "root": root, "airflow": _airflow_base(),
        "csrf_field": CSRF_FIELD, "csrf_token": csrf_token_for(user, session_value),
        "done": request.query_params.get("done"), **context,
    }
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if new:
        set_csrf_cookie(request, response, session_value)
    return response


def report_timezone() -> ZoneInfo:
    """The report's day boundary: BILLING_REPORT_TZ, as include.billing.reports.queries reads it.

    Not imported from there: importing include.billing.reports loads matplotlib (≈2 s), which
    the dashboard leaves to the background thread that computes the KPIs (a test keeps the two equal).
    """
    return ZoneInfo(os.environ.get("BILLING_REPORT_TZ", "UTC"))


def _today() -> date:
    return datetime.now(report_timezone()).date()


def _period(period: str, today: date) -> tuple[date, date]:
    if period == "today":
        return today, today
    if period == "month":
        return today - timedelta(days=29), today
    if period == "mtd":
        return today.replace(day=1), today
    return today - timedelta(days=6), today


def _kpis(conn, start: date, end: date, today: date):
    """The report's KPIs for the period, through the cache (key: the database and the dates)."""
    key = (conn.info.host, conn.info.port, conn.info.dbname, start, end, today)

    def compute():
        from include.billing.reports.metrics import AGING_BUCKETS, AGING_LABELS, compute_kpis

        with open_connection() as own:
            kpis = compute_kpis(own, start, end, today, trend_weeks=0)
        return {**kpis, "aging_buckets": AGING_BUCKETS, "aging_labels": AGING_LABELS}

    kpis, at = kpi_cache.get(key, compute)
    return kpis, at, kpi_cache.error(key)


def _int_or_none(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise HTTPException(status_code=400, detail="filters take whole numbers") from None


def create_app() -> FastAPI:
    app = FastAPI(title="Billing", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated):
        # the status Airflow gives (401/403) and a way to sign in for a person in a browser
        from airflow.api_fastapi.app import get_auth_manager

        next_url = (request.scope.get("root_path") or "") + "/"
        login = get_auth_manager().get_url_login(next_url=next_url)
        return HTMLResponse(f'<!doctype html><title>Sign in</title><p>{exc.detail}. '
                            f'<a href="{login}" target="_top">Sign in to Airflow</a></p>',
                            status_code=exc.status_code)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return HTMLResponse(f"<!doctype html><title>Error</title><p>{exc.status_code}: {exc.detail}</p>",
                            status_code=exc.status_code)

    # --- pages ----------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def dashboard(request: Request, user: User, conn: Conn, period: str = "week"):
        period = period if period in PERIODS else "week"
        today = _today()
        start, end = _period(period, today)
        kpis, kpis_at, kpis_error = _kpis(conn, start, end, today)
        tz_start = datetime.combine(today, time.min, tzinfo=report_timezone())
        day = wq.dashboard_activity(conn, tz_start, tz_start + timedelta(days=1))
        return _render(request, user, "dashboard.html", {
            "kpis": kpis, "kpis_at": kpis_at, "kpis_error": kpis_error, "kpi_ttl": kpi_cache.ttl, "period": period, "periods": PERIODS, "today": today, "start": start, "end": end,
            **day})

    @app.get("/queue", response_class=HTMLResponse)
    def queue(request: Request, user: User, conn: Conn,
              source: str | None = None, reason: str | None = None, payer: str | None = None,
              provider: str | None = None, min_age: str | None = None, max_age: str | None = None,
              assignee: str | None = None, state: str = "open", page: int = Query(1, ge=1, le=10_000)):
        states = {"open": wq.OPEN_STATES, "closed": ("resolved", "written_off"), "all": wq.ALL_STATES}
        flt = wq.QueueFilter(source=source or None, reason=reason or None, payer_id=_int_or_none(payer),
                             provider_id=_int_or_none(provider), min_age=_int_or_none(min_age),
                             max_age=_int_or_none(max_age),
                             assignee=None if assignee in (None, "*") else ("" if assignee == "-" else assignee),
                             states=states.get(state, wq.OPEN_STATES), page=page)
        items, total = wq.list_items(conn, flt)
        args = {k: v for k, v in {"source": source, "reason": reason, "payer": payer, "provider": provider,
                                  "min_age": min_age, "max_age": max_age, "assignee": assignee,
                                  "state": state}.items() if v}
        return _render(request, user, "queue.html", {
            "items": items, "total": total, "page": page, "pages": max(1, -(-total // wq.PAGE_SIZE)),
            "options": wq.filter_options(conn, flt.states), "f": args, "query": urlencode(args),
            "reason_text": wq.REASON_TEXT})

    @app.get("/items/{item_id}", response_class=HTMLResponse)
    def item_page(request: Request, item_id: int, user: User, conn: Conn):
        return _item_response(request, user, conn, item_id)

    def _item_response(request, user, conn, item_id: int, error: str | None = None, status_code: int = 200):
        item = wq.get_item(conn, item_id)
        if item is None:
            raise HTTPException(status_code=404, detail=f"work item {item_id} does not exist")
        accounts = load_accounts(conn, [item["visit_id"]]) if item.get("visit_id") else []
        guarantor = pa.guarantor_of_visit(conn, item["visit_id"]) if item.get("visit_id") else None
        pending = woa.pending_request(conn, item_id, item["claim_id"]) if item["claim_id"] is not None else None
        from include.billing.artefacts import list_for_work_item

        return _render(request, user, "item.html", {
            "artefacts": list_for_work_item(conn, item_id),
            "item": item, "error": error, "write_off_reasons": wq.WRITE_OFF_REASONS,
            "account": accounts[0].to_dict() if accounts else None, "guarantor_key": guarantor,
            "open": item["state"] in wq.OPEN_STATES, "pending_write_off": pending,
            "write_off_limit": woa.approval_limit(),
            "can": {p: allowed(user, p) for p in ("work", "write_off")}}, status_code=status_code)

    @app.get("/guarantors/{key}", response_class=HTMLResponse)
    def guarantor_page(request: Request, key: str, user: User, conn: Conn, error: str | None = None,
                       status_code: int = 200):
        account = pa.guarantor_account(conn, key)
        if not account["visits"] and not account["statements"] and not account["payments"]:
            raise HTTPException(status_code=404, detail=f"guarantor {key} has no account")
        return _render(request, user, "guarantor.html", {"g": account, "error": error,
                                                         "can": {"work": allowed(user, "work")}},
                       status_code=status_code)

    def _guarantor_act(request: Request, user, conn, key: str, token: str | None, action: str, fn):
        require(user, "work")             # 403 before anything is read or changed
        check_csrf(request, user, token)
        with conn.transaction():
            conn.execute(wq.load_query("set_actor"), {"actor": actor_of(user), "run": None, "is_local": True})
            done = fn(actor_of(user))
        if done is None:
            return guarantor_page(request, key, user, conn, error=f"nothing to {action.replace('_', ' ')}",
                                  status_code=409)
        log.info("billing ui: %s on guarantor account by %s", action, user_name(user))
        root = request.scope.get("root_path", "")
        return RedirectResponse(f"{root}/guarantors/{key}?done={action}", status_code=303)

    @app.post("/guarantors/{key}/hold")
    def place_hold(request: Request, key: str, user: User, conn: Conn, csrf: Token = None,
                   reason: Annotated[str, Form()] = ""):
        if not reason.strip():
            return guarantor_page(request, key, user, conn, error="a statement hold needs a reason",
                                  status_code=409)
        return _guarantor_act(request, user, conn, key, csrf, "hold_placed",
                              lambda actor: pa.place_statement_hold(conn, key, reason.strip()[:200], actor=actor))

    @app.post("/guarantors/{key}/release-hold")
    def release_hold(request: Request, key: str, user: User, conn: Conn, csrf: Token = None):
        return _guarantor_act(request, user, conn, key, csrf, "hold_released",
                              lambda actor: pa.release_statement_hold(conn, key, actor=actor))

    # --- the artefact store: reports, data-quality results, appeal packets ------------------

    @app.get("/artefacts/{artefact_id}")
    def artefact(artefact_id: int, user: User, conn: Conn):
        """An artefact's bytes from the store (include.billing.artefacts), never from a worker's disk."""
        from include.billing.artefacts import ArtefactError, load

        try:
            art = load(conn, artefact_id)
        except ArtefactError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        log.info("billing ui: artefact %s (%s) read by %s", art.id, art.kind, user_name(user))
        return Response(art.content, media_type=art.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{art.name}"'})

    @app.get("/reports", response_class=HTMLResponse)
    def reports(request: Request, user: User, conn: Conn):
        from include.billing.artefacts import list_reports

        return _render(request, user, "reports.html", {"reports": list_reports(conn)})

    # --- actions --------------------------------------------------------------------------

    def _act(request: Request, user, conn, item_id: int, token: str | None, action: str, fn,
             permission: str = "work"):
        require(user, permission)          # 403 before anything is read or changed
        check_csrf(request, user, token)
        try:
            with conn.transaction():
                # the person, for billing.change_log's before/after rows (this transaction only)
                conn.execute(wq.load_query("set_actor"), {"actor": actor_of(user), "run": None,
                                                              "is_local": True})
                result = fn(actor_of(user))
        except wq.ActionError as exc:
            log.info("billing ui: %s on work item %s refused: %s", action, item_id, exc)
            return _item_response(request, user, conn, item_id, error=str(exc), status_code=409)
        log.info("billing ui: %s on work item %s by %s", action, item_id, user_name(user))
        if isinstance(result, Response):
            return result
        root = request.scope.get("root_path", "")
        return RedirectResponse(f"{root}/items/{item_id}?done={action}", status_code=303)

    @app.post("/items/{item_id}/assign")
    def assign(request: Request, item_id: int, user: User, conn: Conn, csrf: Token = None,
               assignee: Annotated[str, Form()] = ""):
        value = user_name(user) if assignee == "me" else assignee
        return _act(request, user, conn, item_id, csrf, "assigned",
                    lambda actor: wq.assign(conn, item_id, value, actor=actor))

    @app.post("/items/{item_id}/correct")
    def correct(request: Request, item_id: int, user: User, conn: Conn, csrf: Token = None,
                field: Annotated[str, Form()] = "", value: Annotated[str, Form()] = "",
                line_number: Annotated[str | None, Form()] = None, position: Annotated[str | None, Form()] = None):
        return _act(request, user, conn, item_id, csrf, "corrected",
                    lambda actor: wq.correct(conn, item_id, field, value, actor=actor,
                                             line_number=_int_or_none(line_number),
                                             position=_int_or_none(position)))

    @app.post("/items/{item_id}/resolve")
    def resolve(request: Request, item_id: int, user: User, conn: Conn, csrf: Token = None,
                note: Annotated[str, Form()] = ""):
        return _act(request, user, conn, item_id, csrf, "resolved",
                    lambda actor: wq.resolve(conn, item_id, actor=actor, note=note))

    @app.post("/items/{item_id}/release")
    def release(request: Request, item_id: int, user: User, conn: Conn, csrf: Token = None):
        response = _act(request, user, conn, item_id, csrf, "released",
                        lambda actor: wq.release(conn, item_id, actor=actor))
        if response.status_code == 303:     # committed: claims_submission runs on the asset event
            from .asset_events import record_corrections_released

            record_corrections_released(item_id, user_name(user))
        return response

    @app.post("/items/{item_id}/write-off")
    def write_off(request: Request, item_id: int, user: User, conn: Conn, csrf: Token = None,
                  reason: Annotated[str, Form()] = "", note: Annotated[str, Form()] = ""):
        def act(actor):
            done = woa.request_write_off(conn, item_id, reason, actor=actor, note=note)
            if done["state"] == "awaiting_approval":
                root = request.scope.get("root_path", "")
                return RedirectResponse(f"{root}/items/{item_id}?done=write_off_requested", status_code=303)
        return _act(request, user, conn, item_id, csrf, "written_off", act, permission="write_off")

    @app.post("/items/{item_id}/write-off/approve")
    def approve_write_off(request: Request, item_id: int, user: User, conn: Conn, csrf: Token = None):
        return _act(request, user, conn, item_id, csrf, "written_off",
                    lambda actor: woa.approve_write_off(conn, item_id, actor=actor) and None,
                    permission="write_off")

    @app.post("/items/{item_id}/write-off/decline")
    def decline_write_off(request: Request, item_id: int, user: User, conn: Conn, csrf: Token = None,
                          note: Annotated[str, Form()] = ""):
        return _act(request, user, conn, item_id, csrf, "write_off_declined",
                    lambda actor: woa.decline_write_off(conn, item_id, actor=actor, note=note) and None,
                    permission="write_off")

    @app.post("/items/{item_id}/appeal", response_class=HTMLResponse)
    def appeal(request: Request, item_id: int, user: User, conn: Conn, csrf: Token = None):
        def produce(actor):
            packet = wq.appeal_packet(conn, item_id, actor=actor, today=_today())
            return _render(request, user, "appeal.html", {"p": packet, "item": packet["item"]})
        return _act(request, user, conn, item_id, csrf, "appeal", produce)

    return app


