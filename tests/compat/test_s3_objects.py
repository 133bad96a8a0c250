"""S3 objects through boto3 and the aws CLI: put, get (ranges, conditions,
checksums), head, delete, copy, tags, listings with their pagination,
versions and delete markers, multipart uploads (ETags, composite
checksums, part checks), with AWS's error codes and statuses."""
import base64
import hashlib
import io
import os
import tempfile
import unittest
import urllib.request
import zlib

import botocore.exceptions
from boto3.s3.transfer import TransferConfig

from slipway_server import ServerTestCase, model_has

MIB = 1024 * 1024


def md5_etag(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


class S3ObjectCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s3 = cls.srv.client("s3")
        cls.counter = 0

    def bucket(self, versioned=False):
        type(self).counter += 1
        name = f"objects-{self.counter}"
        self.s3.create_bucket(Bucket=name)
        if versioned:
            self.s3.put_bucket_versioning(Bucket=name,
                                          VersioningConfiguration={"Status": "Enabled"})
        return name


class TestPutGet(S3ObjectCase):
    def test_round_trip(self):
        b = self.bucket()
        data = b"hello, slipway"
        out = self.s3.put_object(Bucket=b, Key="dir/hello.txt", Body=data,
                                 ContentType="text/plain", Metadata={"color": "blue"},
                                 CacheControl="max-age=60", Tagging="env=test&team=a%20b")
        self.assertEqual(out["ETag"], md5_etag(data))
        self.assertNotIn("VersionId", out)
        got = self.s3.get_object(Bucket=b, Key="dir/hello.txt")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["ETag"], md5_etag(data))
        self.assertEqual(got["ContentType"], "text/plain")
        self.assertEqual(got["CacheControl"], "max-age=60")
        self.assertEqual(got["Metadata"], {"color": "blue"})
        self.assertEqual(got["ContentLength"], len(data))
        self.assertEqual(got["TagCount"], 2)
        self.assertEqual(got["AcceptRanges"], "bytes")
        head = self.s3.head_object(Bucket=b, Key="dir/hello.txt")
        self.assertEqual(head["ContentLength"], len(data))
        self.assertEqual(head["ETag"], md5_etag(data))
        tags = self.s3.get_object_tagging(Bucket=b, Key="dir/hello.txt")["TagSet"]
        self.assertEqual({t["Key"]: t["Value"] for t in tags}, {"env": "test", "team": "a b"})

    def test_binary_and_empty_bodies(self):
        b = self.bucket()
        data = bytes(range(256)) * 1000
        self.s3.put_object(Bucket=b, Key="bin", Body=data)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="bin")["Body"].read(), data)
        self.s3.put_object(Bucket=b, Key="empty", Body=b"")
        got = self.s3.get_object(Bucket=b, Key="empty")
        self.assertEqual(got["Body"].read(), b"")
        self.assertEqual(got["ETag"], '"d41d8cd98f00b204e9800998ecf8427e"')

    def test_missing(self):
        b = self.bucket()
        self.assertClientError(self.s3.get_object, "NoSuchKey",
                               "The specified key does not exist.", 404, Bucket=b, Key="nope")
        self.assertClientError(self.s3.head_object, "404", status=404, Bucket=b, Key="nope")
        self.assertClientError(self.s3.get_object, "NoSuchBucket", status=404,
                               Bucket="no-such-bucket-here", Key="k")

    def test_ranges(self):
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="digits", Body=b"0123456789")
        got = self.s3.get_object(Bucket=b, Key="digits", Range="bytes=2-5")
        self.assertEqual(got["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(got["Body"].read(), b"2345")
        self.assertEqual(got["ContentRange"], "bytes 2-5/10")
        self.assertEqual(got["ContentLength"], 4)
        got = self.s3.get_object(Bucket=b, Key="digits", Range="bytes=-3")
        self.assertEqual(got["Body"].read(), b"789")
        self.assertEqual(got["ContentRange"], "bytes 7-9/10")
        resp = self.assertClientError(self.s3.get_object, "InvalidRange",
                                      "The requested range is not satisfiable", 416,
                                      Bucket=b, Key="digits", Range="bytes=10-")
        self.assertEqual(resp["ResponseMetadata"]["HTTPHeaders"].get("content-range"),
                         "bytes */10")

    def test_conditions(self):
        b = self.bucket()
        etag = self.s3.put_object(Bucket=b, Key="c", Body=b"conditional")["ETag"]
        self.s3.get_object(Bucket=b, Key="c", IfMatch=etag)
        self.assertClientError(self.s3.get_object, "PreconditionFailed", status=412,
                               Bucket=b, Key="c", IfMatch='"0000"')
        self.assertClientError(self.s3.get_object, "304", status=304,
                               Bucket=b, Key="c", IfNoneMatch=etag)
        last = self.s3.head_object(Bucket=b, Key="c")["LastModified"]
        self.assertClientError(self.s3.head_object, "304", status=304,
                               Bucket=b, Key="c", IfModifiedSince=last)
        if model_has(self.s3, "PutObject", "IfNoneMatch"):  # conditional writes: botocore 1.35
            self.assertClientError(self.s3.put_object, "PreconditionFailed", status=412,
                                   Bucket=b, Key="c", Body=b"x", IfNoneMatch="*")

    def test_response_overrides(self):
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="o", Body=b"{}")
        got = self.s3.get_object(Bucket=b, Key="o", ResponseContentType="application/json",
                                 ResponseContentDisposition="attachment; filename=o.json")
        self.assertEqual(got["ContentType"], "application/json")
        self.assertEqual(got["ContentDisposition"], "attachment; filename=o.json")

    def test_content_md5(self):
        b = self.bucket()
        data = b"digest me"
        good = base64.b64encode(hashlib.md5(data).digest()).decode()
        self.s3.put_object(Bucket=b, Key="ok", Body=data, ContentMD5=good)
        bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        self.assertClientError(self.s3.put_object, "BadDigest",
                               "The Content-MD5 you specified did not match what we received.",
                               400, Bucket=b, Key="bad", Body=data, ContentMD5=bad)
        self.assertClientError(self.s3.put_object, "InvalidDigest",
                               "The Content-MD5 you specified is not valid.", 400,
                               Bucket=b, Key="bad", Body=data, ContentMD5="nope")
        self.assertClientError(self.s3.head_object, "404", Bucket=b, Key="bad")

    def test_flexible_checksums(self):
        b = self.bucket()
        data = b"123456789"
        # CRC32C and CRC64NVME need botocore[crt] on the client side.
        for alg, member in (("CRC32", "ChecksumCRC32"), ("SHA1", "ChecksumSHA1"),
                            ("SHA256", "ChecksumSHA256")):
            out = self.s3.put_object(Bucket=b, Key=alg, Body=data, ChecksumAlgorithm=alg)
            self.assertIn(member, out)
            got = self.s3.get_object(Bucket=b, Key=alg, ChecksumMode="ENABLED")
            self.assertEqual(got[member], out[member])
            self.assertEqual(got["Body"].read(), data)
        self.assertEqual(self.s3.head_object(Bucket=b, Key="CRC32", ChecksumMode="ENABLED")
                         ["ChecksumCRC32"], crc32_b64(data))
        sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
        self.assertEqual(self.s3.head_object(Bucket=b, Key="SHA256", ChecksumMode="ENABLED")
                         ["ChecksumSHA256"], sha)
        # A value the body does not match.
        self.assertClientError(self.s3.put_object, "BadDigest", status=400, Bucket=b,
                               Key="wrong", Body=data, ChecksumCRC32=crc32_b64(b"other"))
        self.assertClientError(self.s3.head_object, "404", Bucket=b, Key="wrong")

    def test_keys(self):
        b = self.bucket()
        for key in ("a/../b", "a//b", "a/b", "./x", "sp ace+plus&amp?q=1#h", "ünï/cødé"):
            self.s3.put_object(Bucket=b, Key=key, Body=key.encode())
        for key in ("a/../b", "a//b", "a/b", "./x", "sp ace+plus&amp?q=1#h", "ünï/cødé"):
            self.assertEqual(self.s3.get_object(Bucket=b, Key=key)["Body"].read(), key.encode())
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=b)["Contents"]]
        self.assertEqual(sorted(keys, key=lambda k: k.encode()), keys)
        self.assertIn("a//b", keys)
        self.assertClientError(self.s3.put_object, "KeyTooLongError", "Your key is too long",
                               400, Bucket=b, Key="k" * 1025, Body=b"x")
        self.s3.put_object(Bucket=b, Key="k" * 1024, Body=b"x")


class TestDeletesAndVersions(S3ObjectCase):
    def test_delete_unversioned(self):
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="gone", Body=b"x")
        out = self.s3.delete_object(Bucket=b, Key="gone")
        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertNotIn("DeleteMarker", out)
        self.assertClientError(self.s3.get_object, "NoSuchKey", Bucket=b, Key="gone")
        self.s3.delete_object(Bucket=b, Key="gone")

    def test_versions_and_delete_markers(self):
        b = self.bucket(versioned=True)
        ids = [self.s3.put_object(Bucket=b, Key="doc", Body=f"v{i}".encode())["VersionId"]
               for i in range(3)]
        got = self.s3.get_object(Bucket=b, Key="doc")
        self.assertEqual(got["VersionId"], ids[2])
        self.assertEqual(got["Body"].read(), b"v2")
        self.assertEqual(self.s3.get_object(Bucket=b, Key="doc", VersionId=ids[0])["Body"].read(),
                         b"v0")
        listed = self.s3.list_object_versions(Bucket=b)
        self.assertEqual([v["VersionId"] for v in listed["Versions"]], ids[::-1])
        self.assertEqual([v["IsLatest"] for v in listed["Versions"]], [True, False, False])

        out = self.s3.delete_object(Bucket=b, Key="doc")
        self.assertTrue(out["DeleteMarker"])
        marker = out["VersionId"]
        self.assertClientError(self.s3.get_object, "NoSuchKey", status=404, Bucket=b, Key="doc")
        self.assertClientError(self.s3.get_object, "MethodNotAllowed", status=405,
                               Bucket=b, Key="doc", VersionId=marker)
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=b))
        listed = self.s3.list_object_versions(Bucket=b)
        self.assertEqual(listed["DeleteMarkers"][0]["VersionId"], marker)
        self.assertTrue(listed["DeleteMarkers"][0]["IsLatest"])

        out = self.s3.delete_object(Bucket=b, Key="doc", VersionId=marker)
        self.assertTrue(out["DeleteMarker"])
        self.assertEqual(out["VersionId"], marker)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="doc")["Body"].read(), b"v2")
        self.s3.delete_object(Bucket=b, Key="doc", VersionId=ids[0])
        self.assertClientError(self.s3.get_object, "NoSuchVersion",
                               "The specified version does not exist.", 404,
                               Bucket=b, Key="doc", VersionId=ids[0])

    def test_delete_objects(self):
        b = self.bucket()
        for k in ("d1", "d2", "d3"):
            self.s3.put_object(Bucket=b, Key=k, Body=b"x")
        out = self.s3.delete_objects(Bucket=b, Delete={"Objects": [
            {"Key": "d1"}, {"Key": "d2"}, {"Key": "never"},
            {"Key": "d3", "VersionId": "not-a-version"}]})
        self.assertEqual(sorted(d["Key"] for d in out["Deleted"]), ["d1", "d2", "never"])
        self.assertEqual(out["Errors"][0]["Key"], "d3")
        self.assertEqual(out["Errors"][0]["Code"], "NoSuchVersion")
        out = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "d3"}], "Quiet": True})
        self.assertNotIn("Deleted", out)
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=b))


class TestCopyAndTags(S3ObjectCase):
    def test_copy(self):
        b = self.bucket()
        data = b"copy me"
        self.s3.put_object(Bucket=b, Key="src key", Body=data, ContentType="text/x-src",
                           Metadata={"m": "1"})
        out = self.s3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src key"})
        self.assertEqual(out["CopyObjectResult"]["ETag"], md5_etag(data))
        got = self.s3.get_object(Bucket=b, Key="dst")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["Metadata"], {"m": "1"})
        self.assertEqual(got["ContentType"], "text/x-src")
        # A string source is URL-encoded by botocore, as the header must be.
        self.s3.copy_object(Bucket=b, Key="dst2", CopySource=f"{b}/src key",
                            MetadataDirective="REPLACE", Metadata={"n": "2"},
                            ContentType="text/new")
        head = self.s3.head_object(Bucket=b, Key="dst2")
        self.assertEqual(head["Metadata"], {"n": "2"})
        self.assertEqual(head["ContentType"], "text/new")
        resp = self.assertClientError(self.s3.copy_object, "InvalidRequest", status=400,
                                      Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "dst"})
        self.assertIn("This copy request is illegal because it is trying to copy an object to "
                      "itself without changing the object's metadata", resp["Error"]["Message"])
        self.assertClientError(self.s3.copy_object, "PreconditionFailed", status=412,
                               Bucket=b, Key="x", CopySource={"Bucket": b, "Key": "dst"},
                               CopySourceIfMatch='"0000"')
        self.assertClientError(self.s3.copy_object, "NoSuchKey", Bucket=b, Key="x",
                               CopySource={"Bucket": b, "Key": "missing"})

    def test_copy_restores_a_version(self):
        b = self.bucket(versioned=True)
        old = self.s3.put_object(Bucket=b, Key="h", Body=b"old")["VersionId"]
        self.s3.put_object(Bucket=b, Key="h", Body=b"new")
        out = self.s3.copy_object(Bucket=b, Key="h",
                                  CopySource={"Bucket": b, "Key": "h", "VersionId": old})
        self.assertEqual(out["CopySourceVersionId"], old)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="h")["Body"].read(), b"old")

    def test_tags(self):
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="t", Body=b"x")
        self.s3.put_object_tagging(Bucket=b, Key="t",
                                   Tagging={"TagSet": [{"Key": "env", "Value": "prod"}]})
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="t")["TagSet"],
                         [{"Key": "env", "Value": "prod"}])
        self.s3.delete_object_tagging(Bucket=b, Key="t")
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="t")["TagSet"], [])
        self.assertClientError(self.s3.put_object_tagging, "InvalidTag", Bucket=b, Key="t",
                               Tagging={"TagSet": [{"Key": "a", "Value": "1"},
                                                   {"Key": "a", "Value": "2"}]})
        self.assertClientError(self.s3.put_object, "BadRequest", Bucket=b, Key="t2", Body=b"x",
                               Tagging="&".join(f"k{i}=v" for i in range(11)))


class TestListings(S3ObjectCase):
    KEYS = ["a/1", "a/2", "a/3", "b", "c/x/1", "c/y", "d", "e/1", "sp ace+%"]

    def filled(self):
        b = self.bucket()
        for k in self.KEYS:
            self.s3.put_object(Bucket=b, Key=k, Body=b"k")
        return b

    def test_v2_pages_with_delimiter(self):
        b = self.filled()
        pages = list(self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=b, Delimiter="/", PaginationConfig={"PageSize": 2}))
        keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
        prefixes = [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])]
        self.assertEqual(keys, ["b", "d", "sp ace+%"])
        self.assertEqual(prefixes, ["a/", "c/", "e/"])
        self.assertEqual([p["KeyCount"] for p in pages], [2, 2, 2])
        self.assertTrue(pages[0]["IsTruncated"])
        self.assertFalse(pages[-1]["IsTruncated"])

    def test_v2_options(self):
        b = self.filled()
        out = self.s3.list_objects_v2(Bucket=b, Prefix="c/", Delimiter="/")
        self.assertEqual([o["Key"] for o in out["Contents"]], ["c/y"])
        self.assertEqual(out["CommonPrefixes"], [{"Prefix": "c/x/"}])
        out = self.s3.list_objects_v2(Bucket=b, StartAfter="c/y", MaxKeys=5000, FetchOwner=True)
        self.assertEqual([o["Key"] for o in out["Contents"]], ["d", "e/1", "sp ace+%"])
        self.assertEqual(out["MaxKeys"], 1000)
        self.assertEqual(len(out["Contents"][0]["Owner"]["ID"]), 64)
        first = self.s3.list_objects_v2(Bucket=b, MaxKeys=1)
        self.assertClientError(self.s3.list_objects_v2, "InvalidArgument", Bucket=b,
                               Prefix="a", ContinuationToken=first["NextContinuationToken"])
        self.assertClientError(self.s3.list_objects_v2, "InvalidArgument", Bucket=b,
                               ContinuationToken="bm90LWEtdG9rZW4=")

    def test_v1_markers(self):
        b = self.filled()
        keys = [o["Key"] for p in self.s3.get_paginator("list_objects").paginate(
            Bucket=b, PaginationConfig={"PageSize": 2}) for o in p.get("Contents", [])]
        self.assertEqual(keys, self.KEYS)
        out = self.s3.list_objects(Bucket=b, Delimiter="/", MaxKeys=1)
        self.assertEqual(out["CommonPrefixes"], [{"Prefix": "a/"}])
        self.assertEqual(out["NextMarker"], "a/")
        out = self.s3.list_objects(Bucket=b, Delimiter="/", Marker=out["NextMarker"])
        self.assertEqual([o["Key"] for o in out["Contents"]], ["b", "d", "sp ace+%"])
        self.assertEqual(out["Contents"][0]["Owner"]["DisplayName"], "000000000000")

    def test_versions_pages(self):
        b = self.bucket(versioned=True)
        for _ in range(3):
            self.s3.put_object(Bucket=b, Key="k1", Body=b"v")
        self.s3.put_object(Bucket=b, Key="k2", Body=b"v")
        self.s3.delete_object(Bucket=b, Key="k2")
        pages = list(self.s3.get_paginator("list_object_versions").paginate(
            Bucket=b, PaginationConfig={"PageSize": 2}))
        self.assertEqual(len(pages), 3)
        self.assertEqual(sum(len(p.get("Versions", [])) for p in pages), 4)
        self.assertEqual(sum(len(p.get("DeleteMarkers", [])) for p in pages), 1)

    def test_cli_ls(self):
        b = self.filled()
        _, out, _ = self.srv.aws("s3", "ls", f"s3://{b}/")
        self.assertIn("PRE a/", out)
        self.assertIn(" b\n", out)
        _, out, _ = self.srv.aws("s3", "ls", "--recursive", f"s3://{b}/")
        self.assertEqual(len(out.strip().splitlines()), len(self.KEYS))


class TestMultipart(S3ObjectCase):
    def test_low_level(self):
        b = self.bucket()
        up = self.s3.create_multipart_upload(Bucket=b, Key="big", ChecksumAlgorithm="CRC32",
                                             Metadata={"k": "v"})
        uid = up["UploadId"]
        chunks = [b"a" * (5 * MIB), b"b" * (5 * MIB), b"tail"]
        parts = []
        for n, chunk in enumerate(chunks, 1):
            out = self.s3.upload_part(Bucket=b, Key="big", UploadId=uid, PartNumber=n,
                                      Body=chunk, ChecksumAlgorithm="CRC32")
            self.assertEqual(out["ETag"], md5_etag(chunk))
            self.assertEqual(out["ChecksumCRC32"], crc32_b64(chunk))
            parts.append({"PartNumber": n, "ETag": out["ETag"],
                          "ChecksumCRC32": out["ChecksumCRC32"]})
        listed = self.s3.list_parts(Bucket=b, Key="big", UploadId=uid, MaxParts=2)
        self.assertEqual([p["PartNumber"] for p in listed["Parts"]], [1, 2])
        self.assertTrue(listed["IsTruncated"])
        uploads = self.s3.list_multipart_uploads(Bucket=b)["Uploads"]
        self.assertEqual([u["UploadId"] for u in uploads], [uid])

        self.assertClientError(self.s3.complete_multipart_upload, "InvalidPartOrder", Bucket=b,
                               Key="big", UploadId=uid,
                               MultipartUpload={"Parts": [parts[1], parts[0]]})
        self.assertClientError(self.s3.complete_multipart_upload, "InvalidPart", Bucket=b,
                               Key="big", UploadId=uid,
                               MultipartUpload={"Parts": [dict(parts[0], ETag='"00"')]})
        out = self.s3.complete_multipart_upload(Bucket=b, Key="big", UploadId=uid,
                                                MultipartUpload={"Parts": parts})
        md5s = b"".join(hashlib.md5(c).digest() for c in chunks)
        self.assertEqual(out["ETag"], '"%s-3"' % hashlib.md5(md5s).hexdigest())
        crcs = b"".join(zlib.crc32(c).to_bytes(4, "big") for c in chunks)
        self.assertEqual(out["ChecksumCRC32"], crc32_b64(crcs) + "-3")
        got = self.s3.get_object(Bucket=b, Key="big", Range="bytes=5242878-5242881")
        self.assertEqual(got["Body"].read(), b"aabb")
        head = self.s3.head_object(Bucket=b, Key="big")
        self.assertEqual(head["ContentLength"], 10 * MIB + 4)
        self.assertEqual(head["Metadata"], {"k": "v"})
        self.assertClientError(self.s3.list_parts, "NoSuchUpload", status=404, Bucket=b,
                               Key="big", UploadId=uid)

    def test_part_checks(self):
        b = self.bucket()
        uid = self.s3.create_multipart_upload(Bucket=b, Key="small")["UploadId"]
        e1 = self.s3.upload_part(Bucket=b, Key="small", UploadId=uid, PartNumber=1,
                                 Body=b"x" * 1024)["ETag"]
        e2 = self.s3.upload_part(Bucket=b, Key="small", UploadId=uid, PartNumber=2,
                                 Body=b"end")["ETag"]
        self.assertClientError(self.s3.complete_multipart_upload, "EntityTooSmall",
                               "Your proposed upload is smaller than the minimum allowed size",
                               400, Bucket=b, Key="small", UploadId=uid,
                               MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                                          {"PartNumber": 2, "ETag": e2}]})
        self.assertClientError(self.s3.head_object, "404", Bucket=b, Key="small")
        self.s3.abort_multipart_upload(Bucket=b, Key="small", UploadId=uid)
        self.assertClientError(self.s3.upload_part, "NoSuchUpload", status=404, Bucket=b,
                               Key="small", UploadId=uid, PartNumber=1, Body=b"x")
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket=b))

    def test_upload_part_copy(self):
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="src", Body=b"0123456789abcdefghij")
        uid = self.s3.create_multipart_upload(Bucket=b, Key="dst")["UploadId"]
        out = self.s3.upload_part_copy(Bucket=b, Key="dst", UploadId=uid, PartNumber=1,
                                       CopySource={"Bucket": b, "Key": "src"},
                                       CopySourceRange="bytes=10-14")
        etag = out["CopyPartResult"]["ETag"]
        self.assertEqual(etag, md5_etag(b"abcde"))
        self.s3.complete_multipart_upload(Bucket=b, Key="dst", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertEqual(self.s3.get_object(Bucket=b, Key="dst")["Body"].read(), b"abcde")

    def test_transfer_manager(self):
        b = self.bucket()
        data = os.urandom(12 * MIB + 123)
        config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
        self.s3.upload_fileobj(io.BytesIO(data), b, "managed", Config=config)
        head = self.s3.head_object(Bucket=b, Key="managed")
        self.assertTrue(head["ETag"].endswith('-3"'))
        out = io.BytesIO()
        self.s3.download_fileobj(b, "managed", out, Config=config)
        self.assertEqual(out.getvalue(), data)

    def test_cli_cp_round_trip(self):
        b = self.bucket()
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "in.bin")
            dst = os.path.join(tmp, "out.bin")
            data = os.urandom(9 * MIB)
            with open(src, "wb") as f:
                f.write(data)
            self.srv.aws("s3", "cp", src, f"s3://{b}/cli/in.bin")
            self.srv.aws("s3", "cp", f"s3://{b}/cli/in.bin", dst)
            with open(dst, "rb") as f:
                self.assertEqual(f.read(), data)
            got = self.srv.aws_json("s3api", "head-object", "--bucket", b, "--key", "cli/in.bin")
            self.assertEqual(got["ContentLength"], len(data))
            self.srv.aws("s3", "rm", f"s3://{b}/cli/in.bin")
            code, _, err = self.srv.aws("s3api", "get-object", "--bucket", b, "--key",
                                        "cli/in.bin", dst, check=False)
            self.assertNotEqual(code, 0)
            self.assertIn("NoSuchKey", err)


class TestPresigned(S3ObjectCase):
    def test_presigned_get(self):
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="shared", Body=b"by url")
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "shared"},
                                             ExpiresIn=60)
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(r.read(), b"by url")


if __name__ == "__main__":
    unittest.main()
