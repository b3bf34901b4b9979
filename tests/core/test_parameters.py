import pytest

from kefu.core import parameters, services
from kefu.core.errors import DomainError
from kefu.core.models import AuditEvent


def test_a_changed_parameter_takes_effect_and_is_audited(
    django_capture_on_commit_callbacks, api, admin_user, make_subscriber
):
    sub = make_subscriber(bills=8)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_parameter(admin_user, "customers.recent_bill_months", 3)
    assert parameters.get("customers.recent_bill_months") == 3
    assert len(api.login(admin_user).get(f"/api/v1/customers/{sub.msisdn}/360").json()["bills"]) == 3
    event = AuditEvent.objects.get(object_type="core.parameter")
    assert event.changes == {"value": [6, 3]} and event.actor == admin_user


def test_a_parameter_of_the_wrong_type_or_name_is_refused(admin_user):
    with pytest.raises(DomainError) as wrong_type:
        services.set_parameter(admin_user, "security.lockout_minutes", "soon")
    assert wrong_type.value.field == "value"
    with pytest.raises(DomainError) as unknown:
        services.set_parameter(admin_user, "no.such.thing", 1)
    assert unknown.value.field == "key"
    assert not AuditEvent.objects.exists()


def test_the_admin_form_refuses_a_wrong_value_with_a_form_error(client, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.post("/admin/core/parameter/add/", {"key": "security.lockout_minutes", "value": '"soon"'})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    ok = client.post("/admin/core/parameter/add/", {"key": "security.lockout_minutes", "value": "30"})
    assert ok.status_code == 302
    parameters.forget_cached()
    assert parameters.get("security.lockout_minutes") == 30
