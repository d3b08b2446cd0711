"""Airflow plugin: the billing work queue and dashboard, inside the Airflow UI.

Registers a FastAPI app under /billing on the api-server (`fastapi_apps`) and a "Billing"
entry in the UI's navigation (`external_views`; `url_route` makes the UI show the pages in
its own frame at /plugin/billing). Importing this module opens no connection: the ledger
is reached per request through the Airflow connection `billing_db`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from airflow.plugins_manager import AirflowPlugin

# the project root, for `include.*` (set as PYTHONPATH by `make airflow`; here for other launchers)
for _path in (Path(__file__).resolve().parents[1], Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.append(str(_path))

from billing_ui.app import create_app  # noqa: E402

URL_PREFIX = "/billing"


class BillingUIPlugin(AirflowPlugin):
    name = "billing_ui"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Billing work queue"}]
    external_views = [{
        "name": "Billing",
        "href": f"{URL_PREFIX}/",
        "destination": "nav",
        "url_route": "billing",
    }]
