"""`python -m bot.healthcheck`: exit 0 when this container's bot or scheduler answers
GET /healthz with 200 (the image's HEALTHCHECK and compose's healthchecks; the slim image
has no curl). The port is METRICS_PORT, else config.yml's observability.port."""

from __future__ import annotations

import os
import sys
import urllib.request

from bot.config import load_settings


def main() -> int:
    port = os.environ.get("METRICS_PORT") or str(load_settings().metrics_port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            print(response.read().decode("utf-8", "replace"))
            return 0 if response.status == 200 else 1
    except OSError as error:  # refused, timed out, or 503 (HTTPError is an OSError)
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
