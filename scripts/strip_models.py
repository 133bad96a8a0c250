#!/usr/bin/env python3
"""Strips botocore's service models into models/<service>.json.

Keeps what the wire protocols need (metadata, operations, shapes, errors,
protocol traits, validation constraints) and the paginators; drops every
piece of documentation text. The output is committed; the build compiles it
into C tables (tools/modelgen.c).

    python3 scripts/strip_models.py models/
"""
import json
import os
import sys

import botocore.loaders

SERVICES = [
    "sts", "iam", "s3", "logs", "ssm", "secretsmanager", "sns", "codecommit",
    "codebuild", "codedeploy", "codepipeline", "events", "cloudtrail",
]

# Keys that carry prose or client-side concerns only.
DROP = {
    "documentation", "documentationUrl", "deprecatedMessage", "examples",
    "box", "contextParam", "staticContextParams", "deprecated", "synthetic",
    "serviceFullName", "serviceAbbreviation", "uid", "auth",
}

METADATA_KEEP = {
    "apiVersion", "endpointPrefix", "globalEndpoint", "jsonVersion", "protocol",
    "protocols", "serviceId", "signatureVersion", "signingName", "targetPrefix",
    "xmlNamespace", "checksumFormat",
}


def strip(value, names=False):
    """Drops DROP keys from trait dicts; `names` marks a dict keyed by
    shape, operation or member names, whose keys are all kept."""
    if isinstance(value, dict):
        return {k: strip(v, names=(k == "members" and not names))
                for k, v in value.items() if names or k not in DROP}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "models"
    os.makedirs(out_dir, exist_ok=True)
    loader = botocore.loaders.Loader()
    for name in SERVICES:
        model = loader.load_service_model(name, "service-2")
        out = {
            "metadata": {k: v for k, v in model["metadata"].items() if k in METADATA_KEEP},
            "operations": strip(model["operations"], names=True),
            "shapes": strip(model["shapes"], names=True),
        }
        # Operation-level auth (["smithy.api#noAuth"]) decides unsigned calls.
        for op_name, op in model["operations"].items():
            if "auth" in op:
                out["operations"][op_name]["auth"] = op["auth"]
        try:
            pag = loader.load_service_model(name, "paginators-1")
            out["pagination"] = pag.get("pagination", {})
        except botocore.exceptions.UnknownServiceError:
            out["pagination"] = {}
        path = os.path.join(out_dir, name + ".json")
        with open(path + ".tmp", "w") as f:
            json.dump(out, f, sort_keys=True, separators=(",", ":"))
            f.write("\n")
        os.replace(path + ".tmp", path)
        print(f"{path}: {len(out['operations'])} operations, {len(out['shapes'])} shapes")


if __name__ == "__main__":
    main()
