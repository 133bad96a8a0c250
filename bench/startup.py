#!/usr/bin/env python3
"""Time from exec to the first successful signed response, median of N runs.

    startup.py N COMMAND... -- ENDPOINT_PORT CREDENTIALS_FILE

The server command must listen on 127.0.0.1:PORT. Each run starts the
command, sends a signed sts GetCallerIdentity every millisecond until one
answers 200, records the elapsed time, and stops the server.
"""
import configparser
import http.client
import os
import signal
import statistics
import subprocess
import sys
import time

import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest


def signed(port, key, secret):
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    req = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "sts",
                            "us-east-1").add_auth(req)
    return body, dict(req.headers)


def main():
    n = int(sys.argv[1])
    sep = sys.argv.index("--")
    cmd = sys.argv[2:sep]
    port, creds_path = int(sys.argv[sep + 1]), sys.argv[sep + 2]
    times = []
    for _ in range(n):
        cp = configparser.ConfigParser()
        cp.read(creds_path)
        key = cp["default"]["aws_access_key_id"] if cp.has_section("default") else "AKIAX"
        secret = cp["default"]["aws_secret_access_key"] if cp.has_section("default") else "x"
        body, headers = signed(port, key, secret)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("POST", "/", body=body, headers=headers)
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() - t0 > 30:
                raise SystemExit("server did not answer within 30 s")
            time.sleep(0.001)
        times.append((time.perf_counter() - t0) * 1000)
        proc.send_signal(signal.SIGTERM)
        proc.wait()
    print(f"{statistics.median(times):.1f}")


if __name__ == "__main__":
    main()
