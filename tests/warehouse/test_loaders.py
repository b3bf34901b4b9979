"""The warehouse: month partitions loaded from the operational database and from BOSS interface files; a bad
file is refused whole with the line numbers and reasons of its bad rows; a month loaded twice is replaced."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from kefu.core.errors import DomainError
from kefu.core.models import AuditEvent
from kefu.warehouse.loaders import BOSS_COLUMNS, load_boss_file, load_from_database

OCT = dt.date(2026, 10, 1)


def rows(warehouse, kind, month=None):
    files = warehouse.files(kind, [month] if month else None)
    return duckdb.sql(f"SELECT * FROM read_parquet({files!r}) ORDER BY subscriber_id").fetchall() if files else []


def test_bills_and_usage_land_in_month_partitions_and_a_reload_replaces(warehouse, billed):
    from kefu.customers.models import Bill, UsageSummary

    a = billed(52340)
    billed(15000, months=3)
    UsageSummary.objects.create(subscriber=a, month=OCT, voice_minutes=300, data_mb=2048)
    loaded = load_from_database()
    assert loaded["bills"]["2026-10"] == 2 and loaded["bills"]["2025-11"] == 1 and len(loaded["bills"]) == 12
    assert loaded["usage"] == {"2026-10": 1} and loaded["subscribers"] == 2
    assert (warehouse.root / "bills" / "2026-10" / "part-0.parquet").exists()
    assert warehouse.months("bills")[0] == dt.date(2025, 11, 1)
    # Loading the month again replaces it: never doubled, and a changed bill is seen.
    Bill.objects.filter(subscriber=a, month=OCT).update(plan_fee_fen=60000, total_fen=60000)
    load_from_database([OCT])
    october = rows(warehouse, "bills", OCT)
    assert len(october) == 2 and 60000 in [row[-2] for row in october]
    # The catalogue's views let an analyst query the warehouse with plain SQL.
    con = duckdb.connect(str(warehouse.catalog_path), read_only=True)
    assert con.execute("SELECT count(*) FROM bills").fetchone()[0] == 15
    con.close()


def _csv(*lines: str) -> bytes:
    return ("\n".join([",".join(BOSS_COLUMNS["bills"]), *lines]) + "\n").encode()


def test_a_good_boss_file_is_loaded_and_a_second_load_replaces_the_month(warehouse, make_subscriber):
    a, b = make_subscriber(), make_subscriber()
    data = _csv(
        f"{a.msisdn},2026-10,12800,1500,0,2000,0,0,0,-300,16000,16000", f"{b.msisdn},2026-10,5800,0,0,0,0,0,0,0,5800,0"
    )
    assert load_boss_file("bills", data, name="bills-202610.csv") == {"kind": "bills", "month": "2026-10", "rows": 2}
    load_boss_file("bills", data)
    assert len(rows(warehouse, "bills", OCT)) == 2
    assert {r[0] for r in rows(warehouse, "bills")} == {a.pk, b.pk}


def test_a_bad_boss_file_is_refused_whole_with_every_bad_line(warehouse, make_subscriber):
    a, b = make_subscriber(), make_subscriber()
    data = _csv(
        f"{a.msisdn},2026-10,12800,1500,0,2000,0,0,0,-300,16000,16000",  # line 2: good
        "12345,2026-10,100,0,0,0,0,0,0,0,100,0",  # 3: not an MSISDN
        f"{b.msisdn},2026-9,100,0,0,0,0,0,0,0,100,0",  # 4: month format
        f"{a.msisdn},2026-10,100,0,0,0,0,0,0,0,100,0",  # 5: duplicate of line 2
        "13900000000,2026-10,100,0,0,0,0,0,0,0,999,0",  # 6: total is not the sum (and unknown number)
        f"{b.msisdn},2026-10,abc,0,0,0,0,0,0,0,100,0",  # 7: not a number
        f"{b.msisdn},2026-10,100",  # 8: columns
    )
    with pytest.raises(DomainError) as caught:
        load_boss_file("bills", data)
    error = caught.value
    assert error.status == 422 and error.field == "file"
    problems = {(p["line"], p["field"]) for p in error.extra["errors"]}
    assert problems >= {(3, "msisdn"), (4, "month"), (5, "msisdn"), (6, "total_fen"), (7, "plan_fee_fen"), (8, None)}
    assert 2 not in {p["line"] for p in error.extra["errors"]}
    assert error.extra["bad_rows"] == len(error.extra["errors"])
    assert warehouse.months("bills") == []  # nothing written


def test_a_file_with_an_unknown_msisdn_or_a_wrong_header_or_encoding_is_refused(warehouse, make_subscriber):
    with pytest.raises(DomainError) as caught:
        load_boss_file("bills", _csv("13900000009,2026-10,100,0,0,0,0,0,0,0,100,0"))
    assert caught.value.extra["errors"] == [
        {"line": 2, "field": "msisdn", "reason": caught.value.extra["errors"][0]["reason"]}
    ]
    with pytest.raises(DomainError) as caught:
        load_boss_file("bills", b"msisdn,month,total\n")
    assert caught.value.extra["errors"][0]["line"] == 1
    with pytest.raises(DomainError) as caught:
        load_boss_file("bills", _csv("13800000001,2026-10") + "张".encode("gbk") + b"\n")
    assert caught.value.field == "file" and caught.value.extra["errors"][0]["line"] == 3


def test_the_api_answers_422_with_the_bad_rows_and_audits_a_good_load(api, admin_user, make_subscriber, warehouse):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    a = make_subscriber()
    client = Client()
    client.force_login(admin_user)
    bad = SimpleUploadedFile(
        "usage.csv", f"{','.join(BOSS_COLUMNS['usage'])}\n{a.msisdn},2026-10,-5,0,0,0,0\n".encode()
    )
    response = client.post("/api/v1/keyaccounts/warehouse/boss/usage", {"file": bad}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"line": 2, "field": "voice_minutes", "reason": "negative"}]
    good = SimpleUploadedFile(
        "usage.csv", f"{','.join(BOSS_COLUMNS['usage'])}\n{a.msisdn},2026-10,5,0,0,0,0\n".encode()
    )
    response = client.post("/api/v1/keyaccounts/warehouse/boss/usage", {"file": good})
    assert response.status_code == 200 and response.json()["rows"] == 1
    assert AuditEvent.objects.filter(object_type="warehouse.usage", object_id="2026-10").exists()
    state = api.login(admin_user).get("/api/v1/keyaccounts/warehouse").json()
    assert state["months"]["usage"] == ["2026-10"] and state["loads"][0]["source"] == "boss:usage.csv"


def test_loading_from_the_database_through_the_api(api, admin_user, agent_xian, billed, warehouse):
    billed(52340)
    assert api.login(agent_xian).post("/api/v1/keyaccounts/warehouse/load", {}).status_code == 403
    response = api.login(admin_user).post("/api/v1/keyaccounts/warehouse/load", {"months": ["2026-10"]})
    assert response.status_code == 200 and response.json()["bills"] == {"2026-10": 1}
    bad = api.post("/api/v1/keyaccounts/warehouse/load", {"months": ["October"]})
    assert bad.status_code == 422 and bad.json()["field"] == "months"


def test_the_warehouse_command_loads_and_reports_bad_lines(warehouse, billed, make_subscriber, tmp_path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    billed(52340)
    call_command("warehouse", "load", "--month", "2026-10")
    assert "bills 2026-10: 1 rows" in capsys.readouterr().out
    bad = tmp_path / "bills.csv"
    bad.write_bytes(_csv("13900000009,2026-10,100,0,0,0,0,0,0,0,100,0"))
    with pytest.raises(CommandError):
        call_command("warehouse", "boss", "bills", str(bad))
    assert "line 2: msisdn" in capsys.readouterr().err
    call_command("warehouse", "status")
    assert "2026-10" in capsys.readouterr().out
