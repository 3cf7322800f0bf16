"""The QuickBooks Online face of a world: entity tables derived from the shared people, clients,
projects, invoices and time activities (``simulators.world_dims`` / ``world_streams``).

- Staff are Employees, contractors Vendors (ids and emails from the person record).
- Harvest clients are Customers; projects are sub-customers (``Job``, ``ParentRef``, ``Level`` 1,
  ``"Client:Job"`` FullyQualifiedName), named ``"<code> <name>"`` (one job without the code).
- Timestamps carry the company's fixed local offset at second precision; list rows come from
  import batches, so many share one ``LastUpdatedTime``.
- TimeActivity ``LastUpdatedTime`` rises with the index in groups of 8 sharing one second, so
  ``TxnDate`` and ``LastUpdatedTime`` windows are index ranges.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from simulators.qbo_store import BaseSource, EntityTable
from simulators.world_dims import TASKS, company_number
from simulators.world_streams import TIME_ACTIVITY_ID0, time_activity

if TYPE_CHECKING:
    from simulators.world import World

LIST_ENTITIES = ("Customer", "Employee", "Vendor", "Item", "Class", "Department")
CDC_EXCLUDED = ("TimeActivity", "JournalCode", "TaxAgency", "TaxCode", "TaxRate")
OFFSETS = {"acme": -8, "globex": -5, "initech": 0}
USD = {"value": "USD", "name": "United States Dollar"}
TA_TIE_GROUP = 8
CLASSES = [("Consulting", True), ("Engineering", True), ("Design", True), ("Managed Services", True),
           ("Legacy Hosting", False)]
DEPARTMENTS = [("East", True), ("West", True), ("Central (closed)", False)]


@dataclass
class QboCompany:
    realm: str
    company: str
    tz: timezone
    tables: dict[str, EntityTable]
    truth: dict[str, Any]

    def stamp(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).isoformat(timespec="seconds")


def realm_of(w: World) -> str:
    return str(getattr(w, "qbo_realm_id", None) or 9130_3500_0000_0000 + company_number(w.company))


def _meta(created: str, updated: str | None = None) -> dict[str, str]:
    return {"CreateTime": created, "LastUpdatedTime": updated or created}


def _ref(value: str, name: str) -> dict[str, str]:
    return {"value": value, "name": name}


class _Builder:
    def __init__(self, w: World) -> None:
        self.w = w
        self.tz = timezone(timedelta(hours=OFFSETS.get(w.company, -7)))
        self.import_time = self.at(w.anchor - timedelta(days=420), 10 * 3600)
        self.display: dict[int, str] = {}
        self._first_ta_of_day: dict[date, int] = {}

    def at(self, day: date, seconds: int) -> str:
        return self.stamp(datetime(day.year, day.month, day.day, tzinfo=self.tz) + timedelta(seconds=seconds))

    def stamp(self, moment: datetime) -> str:
        moment = min(moment, self.w.base_time - timedelta(hours=1))
        return moment.astimezone(self.tz).replace(microsecond=0).isoformat()

    def customers(self) -> list[dict[str, Any]]:
        w, rows = self.w, []
        for c, client in enumerate(w.clients):
            updated = self.import_time if client["is_active"] else self.stamp(w.base_time - timedelta(days=9))
            rows.append({
                "Id": client["qbo_customer_id"], "SyncToken": "0" if client["is_active"] else "1",
                "DisplayName": client["qbo_name"], "CompanyName": client["qbo_name"],
                "FullyQualifiedName": client["qbo_name"], "PrintOnCheckName": client["qbo_name"],
                "Active": client["is_active"], "Job": False, "BillWithParent": False, "Level": 0,
                "IsProject": False, "Balance": 0, "BalanceWithJobs": 0, "CurrencyRef": USD,
                "PreferredDeliveryMethod": "Email", "Taxable": False,
                "PrimaryEmailAddr": {"Address": f"ap@{client['prefix'].lower()}{c}.test"},
                "domain": "QBO", "sparse": False, "MetaData": _meta(self.import_time, updated),
            })
        for extra in getattr(w, "qbo_only_customers", []):
            rows.append({
                "Id": extra["qbo_customer_id"], "SyncToken": "0", "DisplayName": extra["name"],
                "CompanyName": extra["name"], "FullyQualifiedName": extra["name"], "Active": extra["is_active"],
                "Job": False, "BillWithParent": False, "Level": 0, "IsProject": False, "Balance": 0,
                "BalanceWithJobs": 0, "CurrencyRef": USD, "Taxable": False, "domain": "QBO", "sparse": False,
                "MetaData": _meta(self.import_time),
            })
        for proj in w.projects:
            parent = w.clients[proj["client_index"]]
            name = f"{proj['code']} {proj['name']}" if proj["qbo_name_has_code"] else proj["name"]
            made = proj["created_at"].date()
            created = self.at(made - timedelta(days=made.weekday()), 7 * 3600)  # weekly import batches
            updated = self.at(proj["ends_on"], 17 * 3600) if proj["archived"] else created
            rows.append({
                "Id": proj["qbo_job_id"], "SyncToken": "1" if proj["archived"] else "0",
                "DisplayName": name, "FullyQualifiedName": f"{parent['qbo_name']}:{name}",
                "CompanyName": parent["qbo_name"], "Active": proj["is_active"], "Job": True,
                "ParentRef": _ref(parent["qbo_customer_id"], parent["qbo_name"]), "Level": 1,
                "BillWithParent": True, "IsProject": False, "Balance": 0, "BalanceWithJobs": 0,
                "CurrencyRef": USD, "Taxable": False, "domain": "QBO", "sparse": False,
                "MetaData": _meta(created, updated),
            })
        return rows

    def people(self, vendors: bool) -> list[dict[str, Any]]:
        rows, seen = [], set()
        for u, person in enumerate(self.w.people):
            entity_id = person["qbo_vendor_id"] if vendors else person["qbo_employee_id"]
            if entity_id is None:
                continue
            name = f"{person['first_name']} {person['last_name']}"
            name = name if name not in seen else f"{name} ({u})"
            seen.add(name)
            self.display[u] = name
            created = self.stamp(person["created_at"])
            row: dict[str, Any] = {
                "Id": entity_id, "SyncToken": "0", "DisplayName": name, "PrintOnCheckName": name,
                "GivenName": person["first_name"], "FamilyName": person["last_name"],
                "PrimaryEmailAddr": {"Address": person["qbo_email"]}, "Active": not person["departed"],
                "BillRate": person["hourly_rate"], "CostRate": person["cost_rate"],
                "domain": "QBO", "sparse": False, "MetaData": _meta(created),
            }
            if vendors:
                row.update({"CompanyName": f"{person['last_name']} Consulting", "Vendor1099": True,
                            "Balance": 0, "CurrencyRef": USD, "AcctNum": f"V-{entity_id}"})
            else:
                row.update({"EmployeeNumber": f"E{u + 1:04d}", "BillableTime": True,
                            "HiredDate": person["created_at"].date().isoformat()})
                if person["left_on"]:
                    row["ReleasedDate"] = person["left_on"].isoformat()
            if person["departed"]:
                row["SyncToken"] = "1"
                row["MetaData"] = _meta(created, self.at(person["left_on"], 18 * 3600))
            rows.append(row)
        return rows

    def named(self, names: list[tuple[str, bool]], first_id: int, extra: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"Id": str(first_id + n), "SyncToken": "0" if active else "1", "Name": name,
                 "FullyQualifiedName": name, "Active": active, **extra, "domain": "QBO", "sparse": False,
                 "MetaData": _meta(self.import_time, self.import_time if active else
                                   self.stamp(self.w.base_time - timedelta(days=200)))}
                for n, (name, active) in enumerate(names)]

    def items(self) -> list[dict[str, Any]]:
        names = [("Services", True)] + [(name, True) for name, _ in TASKS] + [("Legacy Support", False)]
        rows = self.named(names, 1, {"Type": "Service", "Taxable": False,
                                     "IncomeAccountRef": _ref("79", "Services")})
        for row in rows:
            row["UnitPrice"] = 150 if row["Name"] != "Services" else 0
        return rows

    def invoices_and_payments(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
        w, invoices, payments, ids = self.w, [], [], {}
        for n, inv in enumerate(w.invoices):
            client = w.clients[inv["client_index"]]
            invoice_id = str(130 + n)
            ids[str(inv["id"])] = invoice_id
            lines: list[dict[str, Any]] = []
            for k, line in enumerate(inv["lines"], start=1):
                proj = w.projects[line["project_index"]]
                lines.append({
                    "Id": str(k), "LineNum": k, "Amount": round(line["quantity"] * line["unit_price"], 2),
                    "Description": f"{proj['code']} {proj['name']}", "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": _ref("1", "Services"), "Qty": line["quantity"],
                                            "UnitPrice": line["unit_price"],
                                            "ServiceDate": inv["period_end"].isoformat(),
                                            "TaxCodeRef": {"value": "NON"}}})
            lines.append({"Amount": inv["amount"], "DetailType": "SubTotalLineDetail",
                          "SubTotalLineDetail": {}})
            created = self.stamp(inv["created_at"])
            paid = inv["paid_date"]
            row: dict[str, Any] = {
                "Id": invoice_id, "SyncToken": "1" if paid else "0", "DocNumber": inv["number"],
                "TxnDate": inv["issue_date"].isoformat(), "DueDate": inv["due_date"].isoformat(),
                "CustomerRef": _ref(client["qbo_customer_id"], client["qbo_name"]), "CurrencyRef": USD,
                "Line": lines, "TotalAmt": inv["amount"], "Balance": 0 if paid else inv["amount"],
                "HomeTotalAmt": inv["amount"], "TxnTaxDetail": {"TotalTax": 0},
                "PrivateNote": f"Harvest invoice {inv['number']}", "domain": "QBO", "sparse": False,
                "MetaData": _meta(created, self.at(paid, 11 * 3600) if paid else created),
            }
            if paid:
                payment_id = str(5200 + n)
                row["LinkedTxn"] = [{"TxnId": payment_id, "TxnType": "Payment"}]
                payments.append({
                    "Id": payment_id, "SyncToken": "0", "TxnDate": paid.isoformat(),
                    "CustomerRef": row["CustomerRef"], "TotalAmt": inv["amount"], "UnappliedAmt": 0,
                    "CurrencyRef": USD, "DepositToAccountRef": _ref("35", "Checking"),
                    "Line": [{"Amount": inv["amount"],
                              "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}],
                    "domain": "QBO", "sparse": False,
                    "MetaData": _meta(self.at(paid, 11 * 3600)),
                })
            invoices.append(row)
        payments.sort(key=lambda p: (p["MetaData"]["LastUpdatedTime"], int(p["Id"])))
        return invoices, payments, ids

    # --- TimeActivity, derived by index ----------------------------------------------

    def ta_count(self) -> int:
        return self.w.scale.time_activities

    def ta_day(self, k: int) -> date:
        w = self.w
        return w.entry_dates.date_of(k * w.scale.time_entries // w.scale.time_activities)

    def ta_updated(self, k: int) -> str:
        day = self.ta_day(k)
        first = self._first_ta_of_day.get(day)
        if first is None:  # one bisection per day, not per row
            first = self._first_ta_of_day[day] = bisect_left(
                range(self.ta_count()), day.toordinal(), key=lambda x: self.ta_day(x).toordinal())
        moment = datetime(day.year, day.month, day.day, 18, tzinfo=self.tz)
        moment += timedelta(seconds=(k - first) // TA_TIE_GROUP)
        return self.stamp(min(moment, self.w.base_time - timedelta(hours=1)))

    def time_activity_row(self, k: int) -> dict[str, Any]:
        w, ta = self.w, time_activity(self.w, k)
        person = w.people[ta["person_index"]]
        name = self.display.get(ta["person_index"], f"{person['first_name']} {person['last_name']}")
        stamp = self.ta_updated(k)
        row: dict[str, Any] = {"Id": str(ta["id"]), "SyncToken": "0", "TxnDate": ta["txn_date"].isoformat(),
                               "NameOf": ta["name_of"]}
        if ta["name_of"] == "Vendor":
            row["VendorRef"] = _ref(ta["vendor_id"], name)
        else:
            row["EmployeeRef"] = _ref(ta["employee_id"], name)
        if ta["customer_level"] == "job":
            proj = w.projects[ta["project_index"]]
            parent = w.clients[proj["client_index"]]
            job = f"{proj['code']} {proj['name']}" if proj["qbo_name_has_code"] else proj["name"]
            row["CustomerRef"] = _ref(proj["qbo_job_id"], f"{parent['qbo_name']}:{job}")
        elif ta["customer_level"] == "customer":
            client = w.clients[ta["client_index"]]
            row["CustomerRef"] = _ref(client["qbo_customer_id"], client["qbo_name"])
        row.update({"ItemRef": _ref("1", "Services"), "BillableStatus": ta["billable_status"],
                    "Taxable": False, "HourlyRate": ta["hourly_rate"], "CostRate": person["cost_rate"]})
        if k % 5 == 0:  # some were entered with a start/end time instead of a duration
            start = datetime.fromisoformat(f"{row['TxnDate']}T09:00:00").replace(tzinfo=self.tz)
            end = start + timedelta(minutes=ta["hours"] * 60 + ta["minutes"] + 30)
            row.update({"StartTime": start.isoformat(), "EndTime": end.isoformat(),
                        "BreakHours": 0, "BreakMinutes": 30})
        else:
            row.update({"Hours": ta["hours"], "Minutes": ta["minutes"]})
        row.update({"Description": ta["description"], "domain": "QBO", "sparse": False,
                    "MetaData": _meta(stamp)})
        return row


def build_qbo_company(w: World) -> QboCompany:
    b = _Builder(w)
    vendors, employees = b.people(vendors=True), b.people(vendors=False)
    invoices, payments, invoice_ids = b.invoices_and_payments()
    small: dict[str, list[dict[str, Any]]] = {
        "Customer": b.customers(), "Employee": employees, "Vendor": vendors, "Item": b.items(),
        "Class": b.named(CLASSES, 5_000_000_000, {"SubClass": False}),
        "Department": b.named(DEPARTMENTS, 1, {"SubDepartment": False}),
        "Invoice": invoices, "Payment": payments,
    }
    tables = {name: EntityTable(name, BaseSource.of_rows(rows), b.tz, is_list=name in LIST_ENTITIES, cdc=True)
              for name, rows in small.items()}
    ta_source = BaseSource(b.ta_count(), TIME_ACTIVITY_ID0, b.time_activity_row, keys={
        ("metadata", "lastupdatedtime"): b.ta_updated, ("txndate",): lambda k: b.ta_day(k).isoformat()})
    tables["TimeActivity"] = EntityTable("TimeActivity", ta_source, b.tz, is_list=False, cdc=False)
    truth = {
        "realm_id": realm_of(w), "timezone_offset": b.tz.tzname(None),
        "customers": {c["client_key"]: c["qbo_customer_id"] for c in w.clients},
        "inactive_customers": [c["qbo_customer_id"] for c in w.clients if not c["is_active"]],
        "jobs": {p["project_key"]: p["qbo_job_id"] for p in w.projects},
        "employees": {p["person_key"]: p["qbo_employee_id"] for p in w.people if p["qbo_employee_id"]},
        "vendors": {p["person_key"]: p["qbo_vendor_id"] for p in w.people if p["qbo_vendor_id"]},
        "invoices_by_harvest_id": invoice_ids,
    }
    return QboCompany(realm_of(w), w.company, b.tz, tables, truth)
