#include "base/common.h"
#include "services/s3/s3.h"
#include "services/s3/s3_internal.h"
#include "services/s3/s3_object.h"

static const struct api_operation s3_operations[] = {
    {"AbortMultipartUpload", s3_abort_multipart_upload, NULL},
    {"CompleteMultipartUpload", s3_complete_multipart_upload, NULL},
    {"CopyObject", s3_copy_object, NULL},
    {"CreateBucket", s3_create_bucket, NULL},
    {"CreateMultipartUpload", s3_create_multipart_upload, NULL},
    {"DeleteBucket", s3_delete_bucket, NULL},
    {"DeleteBucketLifecycle", s3_delete_bucket_lifecycle, NULL},
    {"DeleteBucketPolicy", s3_delete_bucket_policy, NULL},
    {"DeleteBucketTagging", s3_delete_bucket_tagging, NULL},
    {"DeleteObject", s3_delete_object, NULL},
    {"DeleteObjectTagging", s3_delete_object_tagging, NULL},
    {"DeleteObjects", s3_delete_objects, NULL},
    {"GetBucketLifecycleConfiguration", s3_get_bucket_lifecycle_configuration, NULL},
    {"GetBucketLocation", s3_get_bucket_location, NULL},
    {"GetBucketNotificationConfiguration", s3_get_bucket_notification_configuration, NULL},
    {"GetBucketPolicy", s3_get_bucket_policy, NULL},
    {"GetBucketTagging", s3_get_bucket_tagging, NULL},
    {"GetBucketVersioning", s3_get_bucket_versioning, NULL},
    {"GetObject", s3_get_object, NULL},
    {"GetObjectTagging", s3_get_object_tagging, NULL},
    {"HeadBucket", s3_head_bucket, NULL},
    {"HeadObject", s3_head_object, NULL},
    {"ListBuckets", s3_list_buckets, NULL},
    {"ListMultipartUploads", s3_list_multipart_uploads, NULL},
    {"ListObjectVersions", s3_list_object_versions, NULL},
    {"ListObjects", s3_list_objects, NULL},
    {"ListObjectsV2", s3_list_objects_v2, NULL},
    {"ListParts", s3_list_parts, NULL},
    {"PutBucketLifecycleConfiguration", s3_put_bucket_lifecycle_configuration, NULL},
    {"PutBucketNotificationConfiguration", s3_put_bucket_notification_configuration, NULL},
    {"PutBucketPolicy", s3_put_bucket_policy, NULL},
    {"PutBucketTagging", s3_put_bucket_tagging, NULL},
    {"PutBucketVersioning", s3_put_bucket_versioning, NULL},
    {"PutObject", s3_put_object, NULL},
    {"PutObjectTagging", s3_put_object_tagging, NULL},
    {"UploadPart", s3_upload_part, NULL},
    {"UploadPartCopy", s3_upload_part_copy, NULL},
};

const struct api_service s3_api_service = {
    .name = "s3",
    .operations = s3_operations,
    .operation_count = ARRAY_SIZE(s3_operations),
};
