"""A stand-in for `rasa run --enable-api` (standard library only): takes the same arguments
nlu.service.NluService passes, checks the auth token, answers GET /status (with its pid, so
a test can kill it) and POST /model/parse with one fixed intent. For tests of the embedded
service's supervision that must not load Rasa."""

from __future__ import annotations

import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

INTENT = "apprentice_employee"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command")  # "run"
    parser.add_argument("--enable-api", action="store_true")
    parser.add_argument("--model")
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--auth-token")
    args = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def _authorised(self) -> bool:
            token = parse_qs(urlparse(self.path).query).get("token", [None])[0]
            if token == args.auth_token:
                return True
            self._json(401, {"error": "unauthorised"})
            return False

        def _json(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if not self._authorised():
                return
            if urlparse(self.path).path != "/status":
                self._json(404, {"error": "not found"})
                return
            self._json(200, {"model_file": args.model, "pid": os.getpid()})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            text = json.loads(self.rfile.read(length) or b"{}").get("text", "")
            if not self._authorised():
                return
            if urlparse(self.path).path != "/model/parse":
                self._json(404, {"error": "not found"})
                return
            intent = {"name": INTENT, "confidence": 0.97}
            self._json(200, {"text": text, "intent": intent, "intent_ranking": [intent]})

        def log_message(self, format: str, *items: object) -> None:
            pass

    ThreadingHTTPServer((args.interface, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
