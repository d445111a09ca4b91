from tests import factories


def test_brand_creates_and_reads_a_job(app, as_key):
    brand = factories.brand(app)
    factories.known_skills(app)
    api = as_key(factories.api_key(app, "brand", brand=brand))
    created = api.post("/api/v1/jobs", json=factories.job_payload())
    assert created.status_code == 201, created.json
    job = api.get(f"/api/v1/jobs/{created.json['id']}")
    assert job.status_code == 200
    assert job.json["status"] == "created"
    assert job.json["allowed_next"] == ["assigned", "cancelled"]
