"""Tests of the EHR JWT verification: keys generated per session, tokens minted here, a real JWKS server."""
