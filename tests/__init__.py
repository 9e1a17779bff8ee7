"""The test suite (a package, so `tests.support` imports however pytest is started)."""
