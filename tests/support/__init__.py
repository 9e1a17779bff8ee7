"""Test support: a real FHIR test server and the fixtures that run it."""
