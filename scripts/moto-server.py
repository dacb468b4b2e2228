"""moto_server with one request at a time.

Real DynamoDB evaluates a conditional write atomically; moto's threaded server does not (two
concurrent `UpdateItem ... ADD #count :one` with `#count < :limit` can both read the old count),
which makes exact-once contract tests flaky against the fake rather than the code. This wraps
moto's WSGI app in a lock: connections stay concurrent (keep-alive is not a problem), requests
are handled one after another, as atomic as the service they stand in for.

Usage: python scripts/moto-server.py -H 127.0.0.1 -p PORT
"""

import argparse
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()

    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            # Materialize the body inside the lock: moto builds it while handling the request.
            return list(app(environ, start_response))

    run_simple(
        args.host,
        args.port,
        serialized,
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
