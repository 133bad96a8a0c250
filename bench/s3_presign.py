"""Prints a presigned SigV4 URL for an S3 call, for the throughput bench.

    python3 bench/s3_presign.py ENDPOINT KEY SECRET put|get BUCKET KEY
"""
import sys

import boto3
from botocore.config import Config

endpoint, access, secret, method, bucket, key = sys.argv[1:7]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=access, aws_secret_access_key=secret,
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
if method == "bucket":
    s3.create_bucket(Bucket=bucket)
else:
    print(s3.generate_presigned_url(f"{method}_object", Params={"Bucket": bucket, "Key": key},
                                    ExpiresIn=3600))
