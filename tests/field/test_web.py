"""The app shell is served at /field/ with its manifest and a service worker scoped to /field/."""

import json
import re

from field_client.blueprint import STATIC, shell_files


def fetch(client, url):
    """GET a file and close the response (static files are streamed from disk)."""
    with client.get(url) as response:
        response.get_data()
        return response


def test_shell_page_and_headers(client):
    page = fetch(client, "/field/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert 'src="/field/static/app.js"' in page.text
    assert 'rel="manifest" href="/field/manifest.webmanifest"' in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-cache"
    assert client.get("/field").status_code == 308


def test_service_worker_is_scoped_to_field_and_lists_the_shell(client):
    worker = client.get("/field/sw.js")
    assert worker.status_code == 200
    assert worker.mimetype == "text/javascript"
    assert "__VERSION__" not in worker.text and "__SHELL__" not in worker.text
    version = re.search(r'const VERSION = "([0-9a-f]{16})"', worker.text)
    assert version, worker.text[:200]
    listed = json.loads("[" + re.search(r"const SHELL = \[(.*?)\];", worker.text).group(1) + "]")
    assert listed == list(shell_files())
    assert "/field/" in listed and "/field/static/app.js" in listed
    for url in listed:
        assert fetch(client, url).status_code == 200, url


def test_manifest(client):
    manifest = fetch(client, "/field/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = json.loads(manifest.text)
    assert (body["scope"], body["start_url"], body["display"]) == (
        "/field/",
        "/field/",
        "standalone",
    )
    for icon in body["icons"]:
        assert fetch(client, icon["src"]).status_code == 200


def test_every_module_the_app_imports_is_in_the_shell():
    names = {path.name for path in STATIC.iterdir()}
    for script in STATIC.glob("*.js"):
        for imported in re.findall(r'from "\./([\w.]+)"', script.read_text()):
            assert imported in names, f"{script.name} imports missing {imported}"


def test_static_files_cannot_escape_the_app(client):
    for path in ("/field/static/../blueprint.py", "/field/static/%2e%2e/blueprint.py"):
        assert fetch(client, path).status_code == 404
