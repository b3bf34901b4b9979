def test_every_api_error_is_json(api, agent_xian):
    api.login(agent_xian)
    unknown_path = api.get("/api/v1/no-such-thing")
    assert unknown_path.status_code == 404 and unknown_path.json()["code"] == "not_found"
    wrong_method = api.post("/api/v1/customers/13800000000/360")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "method_not_allowed"
    assert "GET" in wrong_method["Allow"]
    tmf_unknown = api.get("/tmf-api/nothing/v4/here")
    assert tmf_unknown.status_code == 404 and tmf_unknown["Content-Type"].startswith("application/json")


def test_pages_keep_html_errors(client, db):
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
