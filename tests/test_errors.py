"""Every error answers {"error": {"code", "message", "fields"}}."""

import pytest

from app import create_app
from app.extensions import db
from app.network.models import Brand
from tests import factories
from tests.conftest import Api, make_config


def _shape(response, status, code):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/nope", "/api/v1/jobs/abc"])
def test_unknown_path_is_404(client, path):
    error = _shape(client.get(path), 404, "not_found")
    assert error["fields"] == {}


def test_wrong_method_is_405_with_allow(admin):
    response = admin.delete("/api/v1/jobs")
    error = _shape(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert error["message"] == "Method not allowed here; allowed: GET, HEAD, OPTIONS, POST."


@pytest.fixture
def small_app(database_url):
    app = create_app(make_config(database_url, MAX_CONTENT_LENGTH=1024))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_body_over_the_limit_is_413(app, small_app):
    key = factories.api_key(app, "admin")
    api = Api(small_app.test_client(), key)
    ok = api.post("/api/v1/brands", json={"name": "Small", "code": "small"})
    assert ok.status_code == 201
    response = api.post("/api/v1/brands", json={"name": "x" * 2000, "code": "big"})
    _shape(response, 413, "payload_too_large")
    assert [b.code for b in factories.rows(app, Brand)] == ["small"]


@pytest.mark.parametrize("body", ['{"name": "x",', "{'name': 'x'}", "\xff\xfe", "{} {}"])
def test_malformed_json_is_400(app, admin, body):
    response = admin.post(
        "/api/v1/brands", data=body.encode("latin-1"), headers={"Content-Type": "application/json"}
    )
    error = _shape(response, 400, "invalid_json")
    assert error["message"] == "The request body is not valid JSON."
    assert factories.count(app, Brand) == 0


@pytest.mark.parametrize(
    ("method", "content_type"),
    [
        ("POST", "text/plain"),
        ("POST", "application/x-www-form-urlencoded"),
        ("POST", "multipart/form-data; boundary=x"),
        ("PATCH", "application/xml"),
        ("PUT", "text/json"),
    ],
)
def test_wrong_content_type_is_415(app, admin, method, content_type):
    brand = factories.brand(app, name="Kept")
    path = "/api/v1/brands" if method == "POST" else f"/api/v1/brands/{brand.id}"
    if method == "PUT":
        dealer = factories.dealer(app)
        path = f"/api/v1/brands/{brand.id}/dealers/{dealer.id}"
    response = admin.request(
        method, path, data=b'{"name": "New", "code": "new"}', headers={"Content-Type": content_type}
    )
    error = _shape(response, 415, "unsupported_media_type")
    assert content_type.split(";")[0] in error["message"]
    assert [b.name for b in factories.rows(app, Brand)] == ["Kept"]


def test_json_content_type_with_charset_is_fine(admin):
    response = admin.post(
        "/api/v1/brands",
        data=b'{"name": "A", "code": "aa"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize("body", ["null", "[]", '"brand"', "42"])
def test_a_body_that_is_not_an_object_is_422(app, admin, body):
    response = admin.post("/api/v1/brands", data=body, headers={"Content-Type": "application/json"})
    error = _shape(response, 422, "validation_error")
    assert error["fields"]
    assert factories.count(app, Brand) == 0


VALIDATION = [
    ("/api/v1/brands", {"name": "A", "code": "aa", "color": "red"}, {"color": ["Unknown field."]}),
    (
        "/api/v1/dealers",
        {"name": "D", "timezone": "Mars/Base"},
        {"timezone": ["Unknown time zone 'Mars/Base'; use an IANA name like Asia/Shanghai."]},
    ),
    (
        "/api/v1/dealers",
        {"name": "D", "timezone": "Asia/Shanghai", "phone": "12345"},
        {"phone": ["Not a valid phone number in E.164 form (e.g. +8613812345678)."]},
    ),
    (
        "/api/v1/api-keys",
        {"name": "k", "role": "superuser"},
        {"role": ["Must be one of: admin, brand, dealer."]},
    ),
]


@pytest.mark.parametrize(("path", "body", "fields"), VALIDATION)
def test_validation_errors_name_the_fields(admin, path, body, fields):
    error = _shape(admin.post(path, json=body), 422, "validation_error")
    assert error["fields"] == fields
    assert error["message"] == "The request did not validate; see fields."


def test_bad_date_names_the_field(app, tenant):
    body = factories.job_payload(requested_by="2026-02-30")
    error = _shape(tenant.api.post("/api/v1/jobs", json=body), 422, "validation_error")
    assert error["fields"] == {
        "requested_by": ["Not a valid date. Expected a date like 2026-12-08 (YYYY-MM-DD)."]
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "nul\x00byte", "code": "aa"}, "name"),
        ({"name": "ok", "code": "aa", "extra": {"deep": ["x\x00"]}}, "extra.deep.0"),
    ],
)
def test_text_with_nul_characters_is_422(app, admin, body, field):
    error = _shape(admin.post("/api/v1/brands", json=body), 422, "invalid_text")
    assert list(error["fields"]) == [field]
    assert factories.count(app, Brand) == 0


def test_text_with_a_lone_surrogate_is_422(app, admin):
    response = admin.post(
        "/api/v1/brands",
        data=b'{"name": "a\\ud800b", "code": "aa"}',
        headers={"Content-Type": "application/json"},
    )
    error = _shape(response, 422, "invalid_text")
    assert list(error["fields"]) == ["name"]
    assert factories.count(app, Brand) == 0


def test_query_text_with_nul_is_422(tenant):
    error = _shape(tenant.api.get("/api/v1/jobs?external_id=a%00b"), 422, "invalid_text")
    assert list(error["fields"]) == ["external_id"]


@pytest.fixture
def failing_app(database_url):
    app = create_app(make_config(database_url))

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internals")

    yield app
    with app.app_context():
        db.engine.dispose()


def test_an_unexpected_exception_is_500_in_the_same_shape(failing_app, caplog):
    response = failing_app.test_client().get("/api/v1/boom")
    error = _shape(response, 500, "internal_error")
    assert error == {
        "code": "internal_error",
        "message": "An unexpected error occurred.",
        "fields": {},
    }
    assert "secret internals" not in response.get_data(as_text=True)
    assert "secret internals" in caplog.text


def test_an_undeclared_method_is_405_whatever_the_body(admin):
    response = admin.put("/api/v1/brands", data=b"x", headers={"Content-Type": "text/plain"})
    _shape(response, 405, "method_not_allowed")
    missing = admin.post("/api/v1/nowhere", data=b"x", headers={"Content-Type": "text/plain"})
    _shape(missing, 404, "not_found")
