"""Every contact as a TMF683 Party Interaction, in the reader's scope; recordings only to the roles that
may hear them, every access logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.contact.models import Contact
from kefu.core.models import AccessLog

BASE = "/tmf-api/partyInteraction/v4/partyInteraction"


@pytest.fixture
def calls(cti, agents, make_subscriber, regions, settings, tmp_path):
    """c1: a recorded call of a Xi'an customer, transferred (two legs); one contact in Baoji."""
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "c1.wav").write_bytes(b"RIFF....WAVEfmt fake audio")
    subscriber = make_subscriber(name="陈静")
    for code in ("a001", "a003"):
        cti.send({"type": "agent.login", "agent": code})
        cti.send({"type": "agent.state", "agent": code, "state": "ready"})
    cti.send({"type": "call.offered", "call": "c1", "group": "vip", "caller": subscriber.msisdn})
    cti.send({"type": "call.answered", "call": "c1"})
    cti.send({"type": "call.transferred", "call": "c1", "to_group": "general", "wrap_up": False})
    cti.send({"type": "call.answered", "call": "c1"})
    cti.send({"type": "call.ended", "call": "c1", "recording": "rec/c1.wav"})
    baoji = Contact.objects.create(
        region=regions["baoji"], channel="hall", started_at=timezone.now() - dt.timedelta(days=1), outcome="resolved"
    )
    return {
        "subscriber": subscriber,
        "legs": list(Contact.objects.filter(call_id="c1").order_by("leg")),
        "baoji": baoji,
    }


def test_contacts_are_party_interactions_in_the_readers_scope(api, agent_xian, calls):
    api.login(agent_xian)
    response = api.get(BASE)
    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"  # the two legs of c1; not the Baoji visit
    first, second = calls["legs"]
    items = {item["id"]: item for item in response.json()}
    leg2 = items[str(second.pk)]
    assert leg2["@type"] == "PartyInteraction" and leg2["status"] == "completed" and leg2["direction"] == "inbound"
    assert leg2["channel"][0]["id"] == "hotline" and leg2["channel"][1] == {
        "id": "general",
        "name": "general",
        "role": "queue",
    }
    customer = next(p for p in leg2["relatedParty"] if p["role"] == "customer")
    assert customer["id"] == str(calls["subscriber"].pk) and customer["@referredType"] == "Customer"
    assert customer["href"].endswith(f"/tmf-api/customerManagement/v4/customer/{calls['subscriber'].pk}")
    assert next(p for p in leg2["relatedParty"] if p["role"] == "agent")["id"] == "cc.a001"
    assert leg2["attachment"][0]["url"].endswith(f"/contact/recordings/{second.pk}/")
    assert leg2["interactionRelationship"] == [
        {"id": str(first.pk), "href": leg2["interactionRelationship"][0]["href"], "relationshipType": "transferredFrom"}
    ]
    assert items[str(first.pk)]["interactionItem"][0]["reason"] == "transferred"

    one = api.get(f"{BASE}/{first.pk}", fields="status,channel")
    assert one.status_code == 200 and set(one.json()) == {"id", "href", "status", "channel"}
    assert api.get(f"{BASE}/{calls['baoji'].pk}").status_code == 404  # another city: as if it did not exist


def test_list_paging_filters_and_errors(api, admin_user, calls):
    api.login(admin_user)
    response = api.get(BASE, limit=1, offset=1, fields="id")
    assert response.json() == [{"id": response.json()[0]["id"], "href": response.json()[0]["href"]}]
    assert (response["X-Total-Count"], response["X-Result-Count"]) == ("3", "1")
    assert len(api.get(BASE, **{"channel.id": "hall"}).json()) == 1
    assert len(api.get(BASE, status="completed,opened").json()) == 3
    assert len(api.get(BASE, **{"relatedParty.id": str(calls["subscriber"].pk)}).json()) == 2
    bad = api.get(BASE, colour="red")
    assert bad.status_code == 422 and bad.json()["field"] == "colour" and bad.json()["@type"] == "Error"
    assert api.get(BASE, status="closed").json()["field"] == "status"
    assert api.get(f"{BASE}/abc").status_code == 404


def test_recordings_are_streamed_only_to_roles_that_may_hear_them_and_logged(client, agent_xian, make_staff, calls):
    leg = calls["legs"][1]
    url = f"/contact/recordings/{leg.pk}/"
    client.force_login(agent_xian)
    assert client.get(url).status_code == 403  # agents do not listen to recordings
    inspector = make_staff("qa.xian", "inspector", "xian")
    client.force_login(inspector)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "audio/x-wav"
    assert b"".join(response.streaming_content) == b"RIFF....WAVEfmt fake audio"
    log = AccessLog.objects.filter(user=inspector, object_type="contact.contact", object_id=str(leg.pk)).get()
    assert "rec/c1.wav" in log.detail
    assert client.get(f"/contact/recordings/{calls['legs'][0].pk}/").status_code == 404  # leg 1 has none
    client.force_login(make_staff("qa.baoji", "inspector", "baoji"))
    assert client.get(url).status_code == 404  # out of scope


def test_a_recording_reference_cannot_leave_the_media_root(client, make_staff, calls):
    leg = calls["legs"][1]
    Contact.objects.filter(pk=leg.pk).update(recording_ref="../../etc/passwd")
    client.force_login(make_staff("qa.xian", "inspector", "xian"))
    assert client.get(f"/contact/recordings/{leg.pk}/").status_code == 404
    assert not AccessLog.objects.filter(object_id=str(leg.pk), object_type="contact.contact").exists()
