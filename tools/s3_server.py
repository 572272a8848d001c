#!/usr/bin/env python3
"""A local S3-compatible service for Guichet's attachment tests (R17).

  s3_server.py
      Starts moto in server mode on 127.0.0.1 on a free port, prints
      "S3 at http://127.0.0.1:PORT", and serves until it is sent SIGTERM or
      SIGINT. Any access key is accepted; buckets
      are made with a plain PUT.

`.ci/run` installs the pinned moto below (with its server extras) from PyPI
and runs the attachment tests against it with GUICHET_TEST_S3_ENDPOINT.
"""

import signal
import threading

PINNED_MOTO = "5.2.1"


def main():
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    # Port 0: the system picks a free port, read back once bound.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"S3 at http://{host}:{port}", flush=True)

    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())

    done.wait()
    server.stop()


if __name__ == "__main__":
    main()
