"""Messages (kefu.core.middleware.LazyMessageMiddleware): the storage is made only when a message is added or
read, so an API call costs nothing for it, while a page's message still shows once after its redirect."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_api_call_sets_no_message_cookie_and_a_page_still_shows_its_message(
    client, api, agent_xian, make_subscriber
):
    subscriber = make_subscriber()
    bearer = f"Bearer {api.login(agent_xian).token}"
    response = client.get(f"/api/v1/customers/{subscriber.msisdn}/360", HTTP_AUTHORIZATION=bearer)
    assert response.status_code == 200 and "messages" not in response.cookies
    client.force_login(agent_xian)
    shown = client.post(f"/customers/{subscriber.pk}/update/", {"channel": "hotline", "name": "李娜"}, follow=True)
    assert "客户信息已更新" in shown.content.decode()
    assert "客户信息已更新" not in client.get(f"/customers/{subscriber.pk}/").content.decode()  # shown once
