"""Member files (GRP-1): import members from CSV or xlsx in two steps, and export them to xlsx.

1. `preview_import` reads the file and checks every row (the number known, on the network and in the caller's
   scope, not twice in the file, not already a member; the date and the fee payer readable). It changes
   nothing and answers the bad rows with their line numbers and reasons, the number of good rows, and a
   token: a hash of the group, the file and the good rows.
2. `confirm_import` gets the same file again with that token, checks the rows again and applies the good ones
   only when they are exactly those previewed (the token matches); otherwise it refuses and nothing changes.

Columns (the first row names them, in any order; only `msisdn` is required): msisdn, department,
fee_payer (group / shared / member, or 集团 / 分担 / 个人; empty: member), joined_on (YYYY-MM-DD; empty: today).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.masking import Masker
from kefu.core.models import AccessAction, AuditEvent
from kefu.core.services import audit_event, record_access, record_change, require
from kefu.core.validators import is_msisdn
from kefu.customers.models import Subscriber, SubscriberStatus
from kefu.groups import services
from kefu.groups.models import FeePayer, GroupMember

COLUMNS = ("msisdn", "department", "fee_payer", "joined_on")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FEE_PAYER_WORDS = {"集团": FeePayer.GROUP, "分担": FeePayer.SHARED, "个人": FeePayer.MEMBER}
_LOOKUP_CHUNK = 500


@dataclass
class Row:
    line: int
    msisdn: str
    department: str = ""
    fee_payer: str = FeePayer.MEMBER
    joined_on: dt.date | None = None
    subscriber_id: int | None = None


@dataclass
class BadRow:
    line: int
    msisdn: str
    reason: str


@dataclass
class Preview:
    filename: str
    token: str
    rows: int
    good: list[Row] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)

    def as_dict(self, masker: Masker) -> dict:
        return {
            "filename": self.filename,
            "token": self.token,
            "rows": self.rows,
            "good_rows": len(self.good),
            "bad_rows": [
                {
                    "line": b.line,
                    "msisdn": masker.msisdn(b.msisdn) if is_msisdn(b.msisdn) else b.msisdn,
                    "reason": b.reason,
                }
                for b in self.bad
            ],
        }


@dataclass
class ImportResult:
    filename: str
    applied: int


# --- reading the file ---------------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
        except csv.Error:  # a field beyond the csv module's limit, a NUL byte, …
            raise DomainError(ErrorCode.INVALID, _("The file is not a readable CSV file."), field="file") from None
    raise DomainError(ErrorCode.INVALID, _("The file is not readable text (UTF-8 or GB18030)."), field="file")


def _xlsx_rows(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the same bad input
        raise DomainError(ErrorCode.INVALID, _("The file is not a readable xlsx workbook."), field="file") from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell(v) for v in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def read_rows(filename: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number, {column: text}) for every non-empty data row; the header is line 1."""
    if not content:
        raise DomainError(ErrorCode.INVALID, _("The file is empty."), field="file")
    if len(content) > MAX_FILE_BYTES:
        raise DomainError(ErrorCode.INVALID, _("The file is larger than 2 MB."), field="file")
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        raw = _xlsx_rows(content)
    elif name.endswith(".csv") or name.endswith(".txt") or not name:
        raw = _csv_rows(content)
    else:
        raise DomainError(ErrorCode.INVALID, _("Upload a CSV or xlsx file."), field="file")
    if not raw:
        raise DomainError(ErrorCode.INVALID, _("The file is empty."), field="file")
    header = [h.strip().lower() for h in raw[0]]
    if "msisdn" not in header:
        raise DomainError(
            ErrorCode.INVALID,
            _("The first row names the columns and must include msisdn (%(columns)s).")
            % {"columns": ", ".join(COLUMNS)},
            field="file",
        )
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise DomainError(ErrorCode.INVALID, _("Unknown column: %(name)s.") % {"name": unknown[0]}, field="file")
    if len(raw) - 1 > MAX_ROWS:
        raise DomainError(ErrorCode.INVALID, _("At most %(n)d rows per file.") % {"n": MAX_ROWS}, field="file")
    rows = []
    for index, values in enumerate(raw[1:], start=2):
        if not any(values):
            continue
        rows.append((index, {h: (values[i] if i < len(values) else "") for i, h in enumerate(header) if h}))
    return rows


# --- checking ---------------------------------------------------------------------------------------------


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.replace("/", "-")[:10]) if text else None
    except ValueError:
        raise ValueError from None


def _check(user, group, filename: str, content: bytes) -> Preview:
    rows = read_rows(filename, content)
    today = timezone.localdate()
    parsed: list[Row] = []
    bad: list[BadRow] = []
    first_line: dict[str, int] = {}
    for line, values in rows:
        msisdn = values.get("msisdn", "").replace(" ", "")
        if not is_msisdn(msisdn):
            bad.append(BadRow(line, msisdn, _("Not an MSISDN (11 digits starting with 13 to 19).")))
            continue
        if msisdn in first_line:
            bad.append(BadRow(line, msisdn, _("Duplicate of line %(line)d.") % {"line": first_line[msisdn]}))
            continue
        first_line[msisdn] = line
        payer_text = values.get("fee_payer", "").strip()
        payer = _FEE_PAYER_WORDS.get(payer_text, payer_text.lower() or FeePayer.MEMBER)
        if payer not in FeePayer.values:
            bad.append(BadRow(line, msisdn, _("Fees are paid by group, shared or member.")))
            continue
        try:
            joined = _parse_date(values.get("joined_on", "").strip())
        except ValueError:
            bad.append(BadRow(line, msisdn, _("Not a date (YYYY-MM-DD).")))
            continue
        if joined is not None and joined > today:
            bad.append(BadRow(line, msisdn, _("The joining date lies in the future.")))
            continue
        department = values.get("department", "").strip()
        if len(department) > 60:
            bad.append(BadRow(line, msisdn, _("The department has more than 60 characters.")))
            continue
        parsed.append(Row(line, msisdn, department, payer, joined or today))
    subscribers: dict[str, tuple[int, str, str]] = {}
    numbers = [r.msisdn for r in parsed]
    scoped = Subscriber.objects.restrict(user)
    for start in range(0, len(numbers), _LOOKUP_CHUNK):
        for pk, msisdn, status, store in (
            scoped.filter(msisdn__in=numbers[start : start + _LOOKUP_CHUNK])
            .values_list("pk", "msisdn", "status", "store")
            .order_by("join_date")
        ):
            subscribers[msisdn] = (pk, status, store)  # the newest holder of a reused number wins
    members = set(
        services.open_members(group)
        .filter(subscriber_id__in=[s[0] for s in subscribers.values()])
        .values_list("subscriber_id", flat=True)
    )
    good: list[Row] = []
    for row in parsed:
        found = subscribers.get(row.msisdn)
        if found is None:
            bad.append(BadRow(row.line, row.msisdn, _("No customer with this number in your data scope.")))
        elif found[1] == SubscriberStatus.CLOSED or found[2] != "on_net":
            bad.append(BadRow(row.line, row.msisdn, _("This number is closed.")))
        elif found[0] in members:
            bad.append(BadRow(row.line, row.msisdn, _("Already a member of the group.")))
        else:
            row.subscriber_id = found[0]
            good.append(row)
    bad.sort(key=lambda b: b.line)
    digest = hashlib.sha256()
    digest.update(f"{group.pk}:{group.code}:".encode())
    digest.update(hashlib.sha256(content).digest())
    digest.update(",".join(f"{r.line}:{r.subscriber_id}" for r in good).encode())
    return Preview(filename=filename or "", token=digest.hexdigest(), rows=len(rows), good=good, bad=bad)


def preview_import(user, group, filename: str, content: bytes) -> Preview:
    """Check a member file; nothing is changed. The token identifies the file and its good rows."""
    require(user, services.IMPORT)
    require(user, services.CHANGE)
    return _check(user, group, filename, content)


@transaction.atomic
def confirm_import(user, group, token: str, filename: str, content: bytes) -> ImportResult:
    """Apply the good rows of a previewed file: refused unless they are exactly those the token was given for."""
    require(user, services.IMPORT)
    require(user, services.CHANGE)
    if not isinstance(token, str) or len(token) != 64:
        raise DomainError(
            ErrorCode.INVALID, _("Preview the file first: the confirmation needs its token."), field="token"
        )
    group = type(group).objects.select_for_update().get(pk=group.pk)
    preview = _check(user, group, filename, content)
    if preview.token != token:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("The file or the members changed since the preview: preview it again."),
            field="token",
        )
    if group.status != "active":
        raise DomainError(ErrorCode.CONFLICT, _("Members are added to active groups only."), field="status")
    created = GroupMember.objects.bulk_create(
        [
            GroupMember(
                group=group,
                subscriber_id=r.subscriber_id,
                department=r.department,
                fee_payer=r.fee_payer,
                joined_on=r.joined_on,
            )
            for r in preview.good
        ]
    )
    services.refresh_member_count(group)
    AuditEvent.objects.bulk_create(
        [
            audit_event(
                user,
                m,
                "add_member",
                {"subscriber": m.subscriber_id, "joined_on": m.joined_on.isoformat(), "import": token[:12]},
                region_id=group.region_id,
            )
            for m in created
            if m.pk is not None
        ]
    )
    record_change(
        user,
        group,
        "import_members",
        {"file": preview.filename[:100], "token": token, "applied": len(created), "bad_rows": len(preview.bad)},
    )
    return ImportResult(filename=preview.filename, applied=len(created))


# --- export -----------------------------------------------------------------------------------------------


def export_members(user, group, include_left: bool = False, channel: str = "web") -> bytes:
    """The group's members as an xlsx workbook (numbers masked unless the caller may unmask); logged."""
    require(user, services.IMPORT)
    from openpyxl import Workbook

    masker = Masker(user)
    members = group.members.select_related("subscriber").order_by("joined_on", "id")
    if not include_left:
        members = members.filter(left_on__isnull=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(group.code)
    sheet.append([*COLUMNS, "name", "left_on", "left_reason"])
    count = 0
    for m in members.iterator(chunk_size=2000):
        sheet.append(
            [
                masker.msisdn(m.subscriber.msisdn),
                m.department,
                m.fee_payer,
                m.joined_on,
                m.subscriber.name,
                m.left_on,
                m.left_reason,
            ]
        )
        count += 1
    out = io.BytesIO()
    book.save(out)
    record_access(
        user,
        AccessAction.EXPORT,
        group,
        detail=f"group members xlsx rows={count}{' unmasked' if masker.unmasked else ''}",
        channel=channel,
    )
    return out.getvalue()
