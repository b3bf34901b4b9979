# Work-order notifications move into the one staff inbox, kefu.core.Notification: the rows are copied
# (a person's or a role-in-a-region's, with the order number as subject and the order page as link),
# then the work-order table is dropped.

from django.db import migrations


def copy_to_core(apps, schema_editor):
    Old = apps.get_model("workorders", "Notification")
    New = apps.get_model("core", "Notification")
    batch = []
    for n in Old.objects.select_related("order").order_by("id").iterator(chunk_size=2000):
        batch.append(
            New(
                recipient_id=n.recipient_id,
                role="" if n.recipient_id else (n.role or "leader"),
                region_id=None if n.recipient_id else n.region_id,
                kind=n.kind[:30],
                text=n.message[:300],
                link=f"/workorders/{n.order.number}/",
                subject=n.order.number,
                created_at=n.created_at,
                read_at=n.read_at,
            )
        )
        if len(batch) >= 2000:
            New.objects.bulk_create(batch)
            batch = []
    New.objects.bulk_create(batch)


def copy_back(apps, schema_editor):
    Old = apps.get_model("workorders", "Notification")
    New = apps.get_model("core", "Notification")
    WorkOrder = apps.get_model("workorders", "WorkOrder")
    orders = dict(WorkOrder.objects.values_list("number", "id"))
    Old.objects.bulk_create(
        Old(
            recipient_id=n.recipient_id,
            role=n.role,
            region_id=n.region_id,
            order_id=orders[n.subject],
            kind=n.kind[:16],
            message=n.text,
            created_at=n.created_at,
            read_at=n.read_at,
        )
        for n in New.objects.filter(subject__in=list(orders)).iterator()
    )


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_notification_roles"),
        ("workorders", "0002_tmf621_hub_outbox"),
    ]

    operations = [
        migrations.RunPython(copy_to_core, copy_back),
        migrations.DeleteModel(
            name="Notification",
        ),
    ]
