#!/usr/bin/env python3
"""Container healthcheck of the web process (Dockerfile HEALTHCHECK, compose):
GET /accounts/login/ from gunicorn on 127.0.0.1:8000 the way the TLS proxy
sends it (Host: the first ALLOWED_HOSTS name, X-Forwarded-Proto: https), and
exit 0 only on 200. The login page renders a template with hashed static
names and reads the session/cache, so a missing manifest, a broken database
connection or a dead worker fails it. Standard library only: it runs every
30 s and must not load Django."""

import http.client
import os
import sys

PORT = int(os.environ.get("ANXUN_HEALTHCHECK_PORT", "8000"))
PATH = os.environ.get("ANXUN_HEALTHCHECK_PATH", "/accounts/login/")


def main() -> int:
    hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = next((h for h in hosts if h != "*"), "localhost")
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=8)
    try:
        connection.request("GET", PATH, headers={"Host": host, "X-Forwarded-Proto": "https"})
        status = connection.getresponse().status
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if status != 200:
        print(f"unhealthy: GET {PATH} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
