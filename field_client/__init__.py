"""Fuwutong field client: the installer's web app, and a small typed Python client for the
field API (used by the tests, `fieldctl`, and dealers who build their own tools)."""
