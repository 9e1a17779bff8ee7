"""The URL an EHR called, which its JWT must name as `aud` (CDS Hooks 2.0: "the exact endpoint URL called").

Behind a reverse proxy the URL the EHR called is not the one this process sees, so `public_base_url` (the service
root as the outside world knows it, possibly with a path prefix such as `https://x.org/cds`) replaces the scheme,
host, port and any root path the app was mounted under.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def expected_audience(request_url: str, public_base_url: str | None, root_path: str = "") -> str:
    """The exact URL the EHR called, without query or fragment, to compare with the token's `aud` as a string.

    `request_url` is the absolute URL this app received (Starlette's `request.url`). `root_path` is the ASGI root
    path the app is mounted under (`request.scope["root_path"]`); Starlette includes it in `request.url`, so it is
    removed before the path is joined to `public_base_url`. Without `public_base_url` the request URL is the
    answer as it stands. The path is never normalised: a trailing slash the EHR sent is part of what it called.
    """
    url = urlsplit(request_url)
    if public_base_url is None:
        return urlunsplit((url.scheme, url.netloc, url.path, "", ""))
    return public_base_url.rstrip("/") + "/" + _path_below_root(url.path, root_path).lstrip("/")


def _path_below_root(path: str, root_path: str) -> str:
    root = root_path.rstrip("/")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :]
    return path
