"""The local clearinghouse and payer simulator (see README.md).

A mailbox folder served over SFTP, a processing step that answers 837P/270/276 with
999/277CA/835/271/277, and a real-time 270/271 HTTP endpoint.  No database, no Airflow.
"""
from .clearinghouse import Clearinghouse, ProcessReport
from .eligibility import serve_eligibility_http
from .roster import Member, Roster, RosterError
from .scenario import Scenario, ScenarioError

__all__ = ["Clearinghouse", "ProcessReport", "Roster", "Member", "RosterError", "Scenario", "ScenarioError",
           "serve_eligibility_http"]
