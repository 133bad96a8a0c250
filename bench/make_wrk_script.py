#!/usr/bin/env python3
"""Writes a wrk Lua script that replays one SigV4-signed AWS request.

    make_wrk_script.py ENDPOINT ACCESS_KEY SECRET_KEY SERVICE BODY OUT.lua

SigV4 has no nonce, so one signature stays valid for the server's
15-minute skew window: every request wrk sends is verified in full.
"""
import sys

import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest


def main():
    endpoint, key, secret, service, body, out = sys.argv[1:7]
    req = AWSRequest(method="POST", url=endpoint + "/", data=body.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), service,
                            "us-east-1").add_auth(req)
    lines = ['wrk.method = "POST"', f"wrk.body = {body!r}".replace("'", '"')]
    for name, value in req.headers.items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
