"""The billing work queue and dashboard, served inside the Airflow UI (see billing_ui_plugin.py)."""
