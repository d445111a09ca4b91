"""`flask apikey ...`."""

from app.auth.models import ApiKey
from tests import factories


def test_create_prints_a_key_that_works(app, as_key):
    result = app.test_cli_runner().invoke(args=["apikey", "create", "--role", "admin"])
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert raw.startswith("fwt_")
    assert "\n" not in raw
    response = as_key(raw).get("/api/v1/brands")
    assert response.status_code == 200
    assert response.json["total"] == 0
    keys = factories.rows(app, ApiKey)
    assert [(k.role, k.name) for k in keys] == [("admin", "cli")]
    assert raw not in repr([vars(k) for k in keys])


def test_create_brand_key_needs_an_existing_brand(app, as_key):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["apikey", "create", "--role", "brand"])
    assert missing.exit_code == 1
    assert "needs brand_id" in missing.output
    unknown = runner.invoke(args=["apikey", "create", "--role", "brand", "--brand", "42"])
    assert unknown.exit_code == 1
    assert factories.count(app, ApiKey) == 0

    brand = factories.brand(app)
    made = runner.invoke(args=["apikey", "create", "--role", "brand", "--brand", str(brand.id)])
    assert made.exit_code == 0
    assert as_key(made.stdout.strip()).get(f"/api/v1/brands/{brand.id}").status_code == 200


def test_list_and_revoke(app, as_key):
    runner = app.test_cli_runner()
    raw = runner.invoke(args=["apikey", "create", "--role", "admin", "--name", "ops"]).stdout
    key_id = factories.rows(app, ApiKey)[0].id
    listed = runner.invoke(args=["apikey", "list"]).output
    assert f"{key_id}\tadmin\t{raw[:12]}…\tactive\tops" in listed
    assert raw.strip() not in listed
    revoked = runner.invoke(args=["apikey", "revoke", str(key_id)])
    assert revoked.exit_code == 0
    assert "revoked" in runner.invoke(args=["apikey", "list"]).output
    assert as_key(raw.strip()).get("/api/v1/brands").status_code == 401


def test_revoke_unknown_key_is_a_clean_error(app):
    result = app.test_cli_runner().invoke(args=["apikey", "revoke", "999"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "API key 999 not found." in result.output


def test_ids_out_of_range_are_usage_errors(app):
    runner = app.test_cli_runner()
    for args in (
        ["apikey", "create", "--role", "brand", "--brand", "99999999999"],
        ["apikey", "create", "--role", "dealer", "--dealer", "0"],
        ["apikey", "revoke", "99999999999"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 2, (args, result.output)
        assert "range" in result.output
    assert factories.count(app, ApiKey) == 0
