"""Skills a job requires must be known to the network: a typo is refused, not left waiting."""

from tests import factories
from tests.factories import Metro


def test_a_skill_nobody_has_is_refused_with_the_known_ones(app, client, as_key, admin):
    metro = Metro(app)
    factories.installer(app, metro.dealer, skills=["furniture_assembly"])
    response = metro_post(client, metro, required_skills=["door_instal"])
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "unknown_skill"
    assert error["unknown_skills"] == ["door_instal"]
    assert error["known_skills"] == ["delivery", "door_install", "furniture_assembly"]
    assert "door_instal (did you mean door_install?)" in error["message"]
    assert "delivery, door_install, furniture_assembly" in error["message"]
    assert error["fields"]["required_skills"] == [error["message"]]
    assert admin.get("/api/v1/jobs").json["total"] == 0  # nothing was written

    # A known skill is taken, and so is a mix only when every skill is known.
    assert metro_post(client, metro, required_skills=["door_install"]).status_code == 201
    mixed = metro_post(client, metro, required_skills=["door_install", "plumbing"])
    assert mixed.status_code == 422
    assert mixed.json["error"]["unknown_skills"] == ["plumbing"]


def test_an_installer_s_new_skill_becomes_known(app, client, as_key):
    metro = Metro(app)
    assert metro_post(client, metro, required_skills=["plumbing"]).status_code == 422
    dealer = as_key(metro.dealer_key)
    installer = metro.installers[0]
    changed = dealer.patch(
        f"/api/v1/installers/{installer.id}", json={"skills": ["door_install", "plumbing"]}
    )
    assert changed.status_code == 200, changed.json
    assert metro_post(client, metro, required_skills=["plumbing"]).status_code == 201


def test_an_empty_network_knows_no_skill_but_takes_jobs_needing_none(app, as_key):
    brand = factories.brand(app)
    api = as_key(factories.api_key(app, "brand", brand=brand))
    refused = api.post("/api/v1/jobs", json=factories.job_payload())
    assert refused.status_code == 422
    assert refused.json["error"]["known_skills"] == []
    assert "none yet" in refused.json["error"]["message"]
    taken = api.post("/api/v1/jobs", json=factories.job_payload(required_skills=[]))
    assert taken.status_code == 201, taken.json


def metro_post(client, metro, **overrides):
    return client.post(
        "/api/v1/jobs",
        json=factories.job_payload(**overrides),
        headers={"Authorization": f"Bearer {metro.brand_key}"},
    )
