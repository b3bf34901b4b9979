"""Exports of customer lists: scoped, masked and logged like every other read."""

import csv
import io

from django.utils.translation import gettext as _

from kefu.core.masking import Masker
from kefu.core.models import AccessAction
from kefu.core.services import record_access
from kefu.customers import presenters, services

EXPORT_LIMIT = 100_000


def subscribers_csv(user, q: str, city: str, store: str, channel: str = "web") -> str:
    qs = services.search(user, q, city, store)[:EXPORT_LIMIT]
    masker = Masker(user)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("MSISDN"), _("name"), _("brand"), _("status"), _("VIP tier"), _("city"), _("region")])
    count = 0
    for subscriber in qs.iterator(chunk_size=2000):
        row = presenters.summary(subscriber, masker)
        writer.writerow(
            [
                row["msisdn"],
                row["name"],
                row["brand_label"],
                row["status_label"],
                row["vip_tier_label"],
                row["city_name"],
                row["region_name"],
            ]
        )
        count += 1
    record_access(user, AccessAction.EXPORT, detail=f"q={q} city={city} rows={count}", channel=channel)
    return "\ufeff" + out.getvalue()  # BOM so spreadsheet programs read the Chinese text as UTF-8
