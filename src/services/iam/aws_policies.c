#include "base/common.h"
#include "services/iam/iam_internal.h"

/*
 * AWS's managed policies that people attach to the users, groups and
 * roles of a developer-tools account, and the policies of the
 * service-linked roles CreateServiceLinkedRole makes. Names, paths,
 * default version ids and dates are AWS's; each document grants what
 * AWS's default version grants on the services slipway implements (the
 * statements for services slipway does not run are left out). Written
 * from the AWS managed policy reference, not copied from an account.
 * Sorted by path, then name, which is the order ListPolicies shows.
 */

static const struct iam_aws_policy aws_policies[] = {
    {
        .name = "AWSCloudTrail_FullAccess",
        .path = "/",
        .id = "ANPAKTGSVLKK5QRQFCJ52",
        .version = "v3",
        .description = "Provides full access to AWS CloudTrail.",
        .create_ms = 1597772086000LL,
        .update_ms = 1614020460000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:AddPermission\",\"sns:CreateTopic\","
                    "\"sns:SetTopicAttributes\",\"sns:GetTopicAttributes\"],"
                    "\"Resource\":[\"arn:aws:sns:*:*:aws-cloudtrail-logs*\"]},"
                    "{\"Effect\":\"Allow\",\"Action\":[\"sns:ListTopics\"],\"Resource\":\"*\"},"
                    "{\"Effect\":\"Allow\",\"Action\":[\"s3:CreateBucket\","
                    "\"s3:PutBucketPolicy\",\"s3:PutBucketPublicAccessBlock\"],"
                    "\"Resource\":[\"arn:aws:s3:::aws-cloudtrail-logs*\"]},{\"Effect\":\"Allow\","
                    "\"Action\":[\"s3:ListAllMyBuckets\",\"s3:GetBucketLocation\","
                    "\"s3:GetBucketPolicy\"],\"Resource\":\"*\"},{\"Effect\":\"Allow\","
                    "\"Action\":\"cloudtrail:*\",\"Resource\":\"*\"},{\"Effect\":\"Allow\","
                    "\"Action\":[\"logs:CreateLogGroup\"],\"Resource\":[\"arn:aws:logs:*:*:log-gr"
                    "oup:aws-cloudtrail-logs*\"]},{\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:ListRoles\",\"iam:GetRolePolicy\",\"iam:GetUser\"],"
                    "\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":[\"iam:PassRole\"],"
                    "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"iam:PassedToService\":"
                    "\"cloudtrail.amazonaws.com\"}}}]}",
    },
    {
        .name = "AWSCloudTrail_ReadOnlyAccess",
        .path = "/",
        .id = "ANPAKFRI7ELIPDAVFJ2JT",
        .version = "v1",
        .description = "Provides read only access to AWS CloudTrail.",
        .create_ms = 1655227145000LL,
        .update_ms = 1655227145000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"cloudtrail:Get*\",\"cloudtrail:Describe*\","
                    "\"cloudtrail:List*\",\"cloudtrail:LookupEvents\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AWSCodeBuildAdminAccess",
        .path = "/",
        .id = "ANPAG3G3F5SXXMDFZC5ER",
        .version = "v14",
        .description =
            "Provides full access to AWS CodeBuild via the AWS Management Console. Also "
            "attach AmazonS3ReadOnlyAccess to provide access to download build artifacts,"
            " and attach IAMFullAccess to create and manage the service role for "
            "CodeBuild.",
        .create_ms = 1480619084000LL,
        .update_ms = 1714614344000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"AWSServicesAccess\","
                    "\"Effect\":\"Allow\",\"Action\":[\"codebuild:*\",\"codecommit:GetBranch\","
                    "\"codecommit:GetCommit\",\"codecommit:GetRepository\","
                    "\"codecommit:ListBranches\",\"codecommit:ListRepositories\","
                    "\"cloudwatch:GetMetricStatistics\",\"events:DeleteRule\","
                    "\"events:DescribeRule\",\"events:DisableRule\",\"events:EnableRule\","
                    "\"events:ListTargetsByRule\",\"events:ListRuleNamesByTarget\","
                    "\"events:PutRule\",\"events:PutTargets\",\"events:RemoveTargets\","
                    "\"logs:GetLogEvents\",\"s3:GetBucketLocation\",\"s3:ListAllMyBuckets\"],"
                    "\"Resource\":\"*\"},{\"Sid\":\"CWLDeleteLogGroupAccess\","
                    "\"Effect\":\"Allow\",\"Action\":[\"logs:DeleteLogGroup\"],"
                    "\"Resource\":\"arn:aws:logs:*:*:log-group:/aws/codebuild/*:log-stream:*\"},"
                    "{\"Sid\":\"SSMParameterWriteAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"ssm:PutParameter\"],\"Resource\":\"arn:aws:ssm:*:*:parameter/C"
                    "odeBuild/*\"},{\"Sid\":\"CodeStarNotificationsSNSTopicCreateAccess\","
                    "\"Effect\":\"Allow\",\"Action\":[\"sns:CreateTopic\","
                    "\"sns:SetTopicAttributes\"],\"Resource\":\"arn:aws:sns:*:*:codestar-notifica"
                    "tions*\"},{\"Sid\":\"SNSTopicListAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:ListTopics\",\"sns:GetTopicAttributes\"],"
                    "\"Resource\":\"*\"}]}",
    },
    {
        .name = "AWSCodeBuildDeveloperAccess",
        .path = "/",
        .id = "ANPA7NBN3DKOF5ROSYQHE",
        .version = "v15",
        .description = "Provides access to AWS CodeBuild via the AWS Management Console, but does "
                       "not allow CodeBuild project administration. Also attach "
                       "AmazonS3ReadOnlyAccess to provide access to download build artifacts.",
        .create_ms = 1480618952000LL,
        .update_ms = 1714613815000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"AWSServicesAccess\","
                    "\"Effect\":\"Allow\",\"Action\":[\"codebuild:StartBuild\","
                    "\"codebuild:StopBuild\",\"codebuild:StartBuildBatch\","
                    "\"codebuild:StopBuildBatch\",\"codebuild:RetryBuild\","
                    "\"codebuild:RetryBuildBatch\",\"codebuild:BatchGet*\","
                    "\"codebuild:GetResourcePolicy\",\"codebuild:DescribeTestCases\","
                    "\"codebuild:DescribeCodeCoverages\",\"codebuild:List*\","
                    "\"codecommit:GetBranch\",\"codecommit:GetCommit\","
                    "\"codecommit:GetRepository\",\"codecommit:ListBranches\","
                    "\"cloudwatch:GetMetricStatistics\",\"events:DescribeRule\","
                    "\"events:ListTargetsByRule\",\"events:ListRuleNamesByTarget\","
                    "\"logs:GetLogEvents\",\"s3:GetBucketLocation\",\"s3:ListAllMyBuckets\"],"
                    "\"Resource\":\"*\"},{\"Sid\":\"SSMParameterWriteAccess\","
                    "\"Effect\":\"Allow\",\"Action\":[\"ssm:PutParameter\"],"
                    "\"Resource\":\"arn:aws:ssm:*:*:parameter/CodeBuild/*\"},"
                    "{\"Sid\":\"SNSTopicListAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:ListTopics\",\"sns:GetTopicAttributes\"],"
                    "\"Resource\":\"*\"}]}",
    },
    {
        .name = "AWSCodeBuildReadOnlyAccess",
        .path = "/",
        .id = "ANPAM5JAMHTDHMXA4OJKA",
        .version = "v12",
        .description = "Provides read only access to AWS CodeBuild via the AWS Management Console. "
                       "Also attach AmazonS3ReadOnlyAccess to provide access to download build "
                       "artifacts.",
        .create_ms = 1480619021000LL,
        .update_ms = 1714613007000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"AWSServicesAccess\","
                    "\"Effect\":\"Allow\",\"Action\":[\"codebuild:BatchGet*\","
                    "\"codebuild:GetResourcePolicy\",\"codebuild:List*\","
                    "\"codebuild:DescribeTestCases\",\"codebuild:DescribeCodeCoverages\","
                    "\"codecommit:GetBranch\",\"codecommit:GetCommit\","
                    "\"codecommit:GetRepository\",\"cloudwatch:GetMetricStatistics\","
                    "\"events:DescribeRule\",\"events:ListTargetsByRule\","
                    "\"events:ListRuleNamesByTarget\",\"logs:GetLogEvents\"],"
                    "\"Resource\":\"*\"}]}",
    },
    {
        .name = "AWSCodeCommitFullAccess",
        .path = "/",
        .id = "ANPAGUAYR3VRB7WOTRN5C",
        .version = "v10",
        .description = "Provides full access to AWS CodeCommit via the AWS Management Console.",
        .create_ms = 1436461339000LL,
        .update_ms = 1689630611000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"codecommit:*\"],\"Resource\":\"*\"},"
                    "{\"Sid\":\"CloudWatchEventsCodeCommitRulesAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"events:DeleteRule\",\"events:DescribeRule\","
                    "\"events:DisableRule\",\"events:EnableRule\",\"events:PutRule\","
                    "\"events:PutTargets\",\"events:RemoveTargets\","
                    "\"events:ListTargetsByRule\"],\"Resource\":\"arn:aws:events:*:*:rule/codecom"
                    "mit*\"},{\"Sid\":\"SNSTopicAndSubscriptionAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:CreateTopic\",\"sns:DeleteTopic\",\"sns:Subscribe\","
                    "\"sns:Unsubscribe\",\"sns:SetTopicAttributes\"],"
                    "\"Resource\":\"arn:aws:sns:*:*:codecommit*\"},"
                    "{\"Sid\":\"SNSTopicAndSubscriptionReadAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:ListTopics\",\"sns:ListSubscriptionsByTopic\","
                    "\"sns:GetTopicAttributes\"],\"Resource\":\"*\"},"
                    "{\"Sid\":\"IAMReadOnlyListAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:ListUsers\"],\"Resource\":\"*\"},"
                    "{\"Sid\":\"IAMReadOnlyConsoleAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:ListAccessKeys\",\"iam:ListSSHPublicKeys\","
                    "\"iam:ListServiceSpecificCredentials\"],\"Resource\":\"arn:aws:iam::*:user/$"
                    "{aws:username}\"},{\"Sid\":\"IAMUserSSHKeys\",\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:DeleteSSHPublicKey\",\"iam:GetSSHPublicKey\","
                    "\"iam:ListSSHPublicKeys\",\"iam:UpdateSSHPublicKey\","
                    "\"iam:UploadSSHPublicKey\"],\"Resource\":\"arn:aws:iam::*:user/${aws:usernam"
                    "e}\"},{\"Sid\":\"IAMSelfManageServiceSpecificCredentials\","
                    "\"Effect\":\"Allow\",\"Action\":[\"iam:CreateServiceSpecificCredential\","
                    "\"iam:UpdateServiceSpecificCredential\",\"iam:DeleteServiceSpecificCredentia"
                    "l\",\"iam:ResetServiceSpecificCredential\"],"
                    "\"Resource\":\"arn:aws:iam::*:user/${aws:username}\"}]}",
    },
    {
        .name = "AWSCodeCommitPowerUser",
        .path = "/",
        .id = "ANPAPUQD3W2U24Y4D7LK6",
        .version = "v17",
        .description = "Provides full access to AWS CodeCommit repositories, but does not allow "
                       "repository deletion.",
        .create_ms = 1436461609000LL,
        .update_ms = 1770848251000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"codecommit:AssociateApprovalRuleTemplateWithRepository\","
                    "\"codecommit:BatchAssociateApprovalRuleTemplateWithRepositories\","
                    "\"codecommit:BatchDisassociateApprovalRuleTemplateFromRepositories\","
                    "\"codecommit:BatchGet*\",\"codecommit:BatchDescribe*\","
                    "\"codecommit:Create*\",\"codecommit:DeleteBranch\","
                    "\"codecommit:DeleteFile\",\"codecommit:Describe*\","
                    "\"codecommit:DisassociateApprovalRuleTemplateFromRepository\","
                    "\"codecommit:EvaluatePullRequestApprovalRules\",\"codecommit:Get*\","
                    "\"codecommit:List*\",\"codecommit:Merge*\","
                    "\"codecommit:OverridePullRequestApprovalRules\",\"codecommit:Put*\","
                    "\"codecommit:Post*\",\"codecommit:TagResource\",\"codecommit:Test*\","
                    "\"codecommit:UntagResource\",\"codecommit:Update*\",\"codecommit:GitPull\","
                    "\"codecommit:GitPush\"],\"Resource\":\"*\"},"
                    "{\"Sid\":\"CloudWatchEventsCodeCommitRulesAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"events:DeleteRule\",\"events:DescribeRule\","
                    "\"events:DisableRule\",\"events:EnableRule\",\"events:PutRule\","
                    "\"events:PutTargets\",\"events:RemoveTargets\","
                    "\"events:ListTargetsByRule\"],\"Resource\":\"arn:aws:events:*:*:rule/codecom"
                    "mit*\"},{\"Sid\":\"SNSTopicAndSubscriptionAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:Subscribe\",\"sns:Unsubscribe\"],"
                    "\"Resource\":\"arn:aws:sns:*:*:codecommit*\"},"
                    "{\"Sid\":\"SNSTopicAndSubscriptionReadAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:ListTopics\",\"sns:ListSubscriptionsByTopic\","
                    "\"sns:GetTopicAttributes\"],\"Resource\":\"*\"},"
                    "{\"Sid\":\"IAMReadOnlyListAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:ListUsers\"],\"Resource\":\"*\"},"
                    "{\"Sid\":\"IAMReadOnlyConsoleAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:ListAccessKeys\",\"iam:ListSSHPublicKeys\","
                    "\"iam:ListServiceSpecificCredentials\"],\"Resource\":\"arn:aws:iam::*:user/$"
                    "{aws:username}\"},{\"Sid\":\"IAMUserSSHKeys\",\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:DeleteSSHPublicKey\",\"iam:GetSSHPublicKey\","
                    "\"iam:ListSSHPublicKeys\",\"iam:UpdateSSHPublicKey\","
                    "\"iam:UploadSSHPublicKey\"],\"Resource\":\"arn:aws:iam::*:user/${aws:usernam"
                    "e}\"},{\"Sid\":\"IAMSelfManageServiceSpecificCredentials\","
                    "\"Effect\":\"Allow\",\"Action\":[\"iam:CreateServiceSpecificCredential\","
                    "\"iam:UpdateServiceSpecificCredential\",\"iam:DeleteServiceSpecificCredentia"
                    "l\",\"iam:ResetServiceSpecificCredential\"],"
                    "\"Resource\":\"arn:aws:iam::*:user/${aws:username}\"}]}",
    },
    {
        .name = "AWSCodeCommitReadOnly",
        .path = "/",
        .id = "ANPA5K3Y32DXALTF6DXBT",
        .version = "v11",
        .description =
            "Provides read only access to AWS CodeCommit via the AWS Management Console.",
        .create_ms = 1436461506000LL,
        .update_ms = 1629310681000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"codecommit:BatchGet*\",\"codecommit:BatchDescribe*\","
                    "\"codecommit:Describe*\",\"codecommit:EvaluatePullRequestApprovalRules\","
                    "\"codecommit:Get*\",\"codecommit:List*\",\"codecommit:GitPull\"],"
                    "\"Resource\":\"*\"},{\"Sid\":\"CloudWatchEventsCodeCommitRulesReadOnlyAccess"
                    "\",\"Effect\":\"Allow\",\"Action\":[\"events:DescribeRule\","
                    "\"events:ListTargetsByRule\"],\"Resource\":\"arn:aws:events:*:*:rule/codecom"
                    "mit*\"},{\"Sid\":\"SNSSubscriptionAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:ListTopics\",\"sns:ListSubscriptionsByTopic\","
                    "\"sns:GetTopicAttributes\"],\"Resource\":\"*\"},"
                    "{\"Sid\":\"IAMReadOnlyListAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:ListUsers\"],\"Resource\":\"*\"},"
                    "{\"Sid\":\"IAMReadOnlyConsoleAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:ListSSHPublicKeys\",\"iam:ListServiceSpecificCredentials\""
                    ",\"iam:ListAccessKeys\",\"iam:GetSSHPublicKey\"],"
                    "\"Resource\":\"arn:aws:iam::*:user/${aws:username}\"}]}",
    },
    {
        .name = "AWSCodeDeployDeployerAccess",
        .path = "/",
        .id = "ANPAJKYV7JHWGXGS2ATNY",
        .version = "v3",
        .description = "Provides access to register and deploy a revision.",
        .create_ms = 1432059523000LL,
        .update_ms = 1585844171000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"codedeploy:Batch*\",\"codedeploy:CreateDeployment\","
                    "\"codedeploy:Get*\",\"codedeploy:List*\","
                    "\"codedeploy:RegisterApplicationRevision\"],\"Resource\":\"*\"},"
                    "{\"Sid\":\"SNSTopicListAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:ListTopics\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AWSCodeDeployFullAccess",
        .path = "/",
        .id = "ANPAQQXC4ENSTBVJJZAOJ",
        .version = "v3",
        .description = "Provides full access to CodeDeploy resources.",
        .create_ms = 1432059203000LL,
        .update_ms = 1585844087000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":\"codedeploy:*\",\"Resource\":\"*\"},"
                    "{\"Sid\":\"CodeStarNotificationsSNSTopicCreateAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:CreateTopic\",\"sns:SetTopicAttributes\"],"
                    "\"Resource\":\"arn:aws:sns:*:*:codestar-notifications*\"},"
                    "{\"Sid\":\"SNSTopicListAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:ListTopics\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AWSCodeDeployReadOnlyAccess",
        .path = "/",
        .id = "ANPAN4Q57ELWFHZU3NQGR",
        .version = "v5",
        .description = "Provides read only access to CodeDeploy resources.",
        .create_ms = 1432059692000LL,
        .update_ms = 1770848364000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"codedeploy:Batch*\",\"codedeploy:Get*\",\"codedeploy:List*\"],"
                    "\"Resource\":\"*\"}]}",
    },
    {
        .name = "AWSCodePipelineApproverAccess",
        .path = "/",
        .id = "ANPASDNUSMKULSM263Y7T",
        .version = "v3",
        .description = "Provides access for an IAM user to approve or reject a manual approval "
                       "action in AWS CodePipeline.",
        .create_ms = 1469732357000LL,
        .update_ms = 1501694698000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"codepipeline:GetPipeline\",\"codepipeline:GetPipelineState\","
                    "\"codepipeline:GetPipelineExecution\",\"codepipeline:ListPipelineExecutions"
                    "\",\"codepipeline:ListPipelines\",\"codepipeline:PutApprovalResult\"],"
                    "\"Resource\":\"*\"}]}",
    },
    {
        .name = "AWSCodePipeline_FullAccess",
        .path = "/",
        .id = "ANPAMZDD5BLQEZILWR3YS",
        .version = "v3",
        .description = "Provides full access to AWS CodePipeline via the AWS Management Console.",
        .create_ms = 1596493360000LL,
        .update_ms = 1710435983000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"CodePipelineAuthoringA"
                    "ccess\",\"Effect\":\"Allow\",\"Action\":[\"codepipeline:*\","
                    "\"cloudtrail:DescribeTrails\",\"codebuild:BatchGetProjects\","
                    "\"codebuild:CreateProject\",\"codebuild:ListCuratedEnvironmentImages\","
                    "\"codebuild:ListProjects\",\"codecommit:ListBranches\","
                    "\"codecommit:GetReferences\",\"codecommit:ListRepositories\","
                    "\"codedeploy:BatchGetDeploymentGroups\",\"codedeploy:ListApplications\","
                    "\"codedeploy:ListDeploymentGroups\",\"iam:ListRoles\",\"iam:GetRole\","
                    "\"events:ListRules\",\"events:ListTargetsByRule\",\"events:DescribeRule\","
                    "\"s3:ListAllMyBuckets\",\"sns:ListTopics\"],\"Resource\":\"*\"},"
                    "{\"Sid\":\"CodePipelineArtifactsReadWriteAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"s3:GetObject\",\"s3:ListBucket\",\"s3:GetBucketPolicy\","
                    "\"s3:GetBucketVersioning\",\"s3:GetObjectVersion\",\"s3:CreateBucket\","
                    "\"s3:PutBucketPolicy\"],\"Resource\":\"arn:aws:s3::*:codepipeline-*\"},"
                    "{\"Sid\":\"CodePipelineSourceTrailReadWriteAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"cloudtrail:PutEventSelectors\",\"cloudtrail:CreateTrail\","
                    "\"cloudtrail:GetEventSelectors\",\"cloudtrail:StartLogging\"],"
                    "\"Resource\":\"arn:aws:cloudtrail:*:*:trail/codepipeline-source-trail\"},"
                    "{\"Sid\":\"EventsIAMPassRole\",\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:PassRole\"],\"Resource\":[\"arn:aws:iam::*:role/service-ro"
                    "le/cwe-role-*\"],\"Condition\":{\"StringEquals\":{\"iam:PassedToService\":["
                    "\"events.amazonaws.com\"]}}},{\"Sid\":\"CodePipelineIAMPassRole\","
                    "\"Effect\":\"Allow\",\"Action\":[\"iam:PassRole\"],\"Resource\":\"*\","
                    "\"Condition\":{\"StringEquals\":{\"iam:PassedToService\":[\"codepipeline.ama"
                    "zonaws.com\"]}}},{\"Sid\":\"CodePipelineEventsReadWriteAccess\","
                    "\"Effect\":\"Allow\",\"Action\":[\"events:PutRule\",\"events:PutTargets\","
                    "\"events:DeleteRule\",\"events:DisableRule\",\"events:RemoveTargets\"],"
                    "\"Resource\":[\"arn:aws:events:*:*:rule/codepipeline-*\"]},"
                    "{\"Sid\":\"CodeStarNotificationsSNSTopicCreateAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:CreateTopic\",\"sns:SetTopicAttributes\"],"
                    "\"Resource\":\"arn:aws:sns:*:*:codestar-notifications*\"}]}",
    },
    {
        .name = "AWSCodePipeline_ReadOnlyAccess",
        .path = "/",
        .id = "ANPAQ7HY4X6M6V5X2YGRC",
        .version = "v1",
        .description = "Provides read only access to AWS CodePipeline via the AWS Management "
                       "Console.",
        .create_ms = 1596493517000LL,
        .update_ms = 1596493517000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"codepipeline:GetPipeline\",\"codepipeline:GetPipelineState\","
                    "\"codepipeline:GetPipelineExecution\",\"codepipeline:ListPipelineExecutions"
                    "\",\"codepipeline:ListActionExecutions\",\"codepipeline:ListActionTypes\","
                    "\"codepipeline:ListPipelines\",\"codepipeline:ListTagsForResource\","
                    "\"s3:ListAllMyBuckets\"],\"Resource\":\"*\"},{\"Effect\":\"Allow\","
                    "\"Action\":[\"s3:GetObject\",\"s3:ListBucket\",\"s3:GetBucketPolicy\"],"
                    "\"Resource\":\"arn:aws:s3::*:codepipeline-*\"}]}",
    },
    {
        .name = "AdministratorAccess",
        .path = "/",
        .id = "ANPAIWMBCKSKIEE64ZLYK",
        .version = "v1",
        .description = "Provides full access to AWS services and resources.",
        .create_ms = 1423247986000LL,
        .update_ms = 1423247986000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":\"*\",\"Resource\":\"*\"}]}",
    },
    {
        .name = "AmazonEventBridgeFullAccess",
        .path = "/",
        .id = "ANPAE6FAH7E3XZYVQ6TXO",
        .version = "v4",
        .description = "Provides full access to Amazon EventBridge.",
        .create_ms = 1562880292000LL,
        .update_ms = 1669914046000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"EventBridgeActions\","
                    "\"Effect\":\"Allow\",\"Action\":[\"events:*\",\"schemas:*\",\"scheduler:*\","
                    "\"pipes:*\"],\"Resource\":\"*\"},{\"Sid\":\"IAMCreateServiceLinkedRoleForApi"
                    "Destinations\",\"Effect\":\"Allow\",\"Action\":\"iam:CreateServiceLinkedRole"
                    "\",\"Resource\":\"arn:aws:iam::*:role/aws-service-role/AmazonEventBridgeApiD"
                    "estinationsServiceRolePolicy\",\"Condition\":{\"StringEquals\":{\"iam:AWSSer"
                    "viceName\":\"apidestinations.events.amazonaws.com\"}}},"
                    "{\"Sid\":\"IAMCreateServiceLinkedRoleForAmazonEventBridgeSchemas\","
                    "\"Effect\":\"Allow\",\"Action\":\"iam:CreateServiceLinkedRole\","
                    "\"Resource\":\"arn:aws:iam::*:role/aws-service-role/schemas.amazonaws.com/AW"
                    "SServiceRoleForSchemas\",\"Condition\":{\"StringEquals\":{\"iam:AWSServiceNa"
                    "me\":\"schemas.amazonaws.com\"}}},{\"Sid\":\"SecretsManagerAccessForApiDesti"
                    "nations\",\"Effect\":\"Allow\",\"Action\":[\"secretsmanager:CreateSecret\","
                    "\"secretsmanager:UpdateSecret\",\"secretsmanager:DeleteSecret\","
                    "\"secretsmanager:GetSecretValue\",\"secretsmanager:PutSecretValue\"],"
                    "\"Resource\":\"arn:aws:secretsmanager:*:*:secret:events!*\"},"
                    "{\"Sid\":\"IAMPassRoleAccessForEventBridge\",\"Effect\":\"Allow\","
                    "\"Action\":\"iam:PassRole\",\"Resource\":\"arn:aws:iam::*:role/*\","
                    "\"Condition\":{\"StringLike\":{\"iam:PassedToService\":\"events.amazonaws.co"
                    "m\"}}}]}",
    },
    {
        .name = "AmazonEventBridgeReadOnlyAccess",
        .path = "/",
        .id = "ANPAGYP3XT2DIDIWBN6BZ",
        .version = "v6",
        .description = "Provides read only access to Amazon EventBridge.",
        .create_ms = 1562880328000LL,
        .update_ms = 1669914168000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"events:DescribeRule\",\"events:DescribeEventBus\","
                    "\"events:DescribeEventSource\",\"events:ListEventBuses\","
                    "\"events:ListEventSources\",\"events:ListRuleNamesByTarget\","
                    "\"events:ListRules\",\"events:ListTargetsByRule\","
                    "\"events:TestEventPattern\",\"events:DescribeArchive\","
                    "\"events:ListArchives\",\"events:DescribeReplay\",\"events:ListReplays\","
                    "\"events:DescribeConnection\",\"events:ListConnections\","
                    "\"events:DescribeApiDestination\",\"events:ListApiDestinations\","
                    "\"events:DescribeEndpoint\",\"events:ListEndpoints\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AmazonS3FullAccess",
        .path = "/",
        .id = "ANPALXVS7PAU2VUTNZIR3",
        .version = "v2",
        .description = "Provides full access to all buckets via the AWS Management Console.",
        .create_ms = 1423248058000LL,
        .update_ms = 1632773797000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"s3:*\",\"s3-object-lambda:*\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AmazonS3ReadOnlyAccess",
        .path = "/",
        .id = "ANPAUXU6QUHI6HL3AZ2PT",
        .version = "v3",
        .description = "Provides read only access to all buckets via the AWS Management Console.",
        .create_ms = 1423248059000LL,
        .update_ms = 1691703099000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"s3:Get*\",\"s3:List*\",\"s3:Describe*\","
                    "\"s3-object-lambda:Get*\",\"s3-object-lambda:List*\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AmazonSNSFullAccess",
        .path = "/",
        .id = "ANPADEC3CTKTYFNGVRUCK",
        .version = "v1",
        .description = "Provides full access to Amazon SNS via the AWS Management Console.",
        .create_ms = 1423248065000LL,
        .update_ms = 1423248065000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:*\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AmazonSNSReadOnlyAccess",
        .path = "/",
        .id = "ANPA6QWD4O4M75YL5D6WS",
        .version = "v1",
        .description = "Provides read only access to Amazon SNS via the AWS Management Console.",
        .create_ms = 1423248066000LL,
        .update_ms = 1423248066000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"sns:GetTopicAttributes\",\"sns:List*\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AmazonSSMReadOnlyAccess",
        .path = "/",
        .id = "ANPAE6H47DCXUBXCCGQWP",
        .version = "v1",
        .description = "Provides read only access to Amazon SSM.",
        .create_ms = 1432921459000LL,
        .update_ms = 1432921459000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"ssm:Describe*\",\"ssm:Get*\",\"ssm:List*\"],"
                    "\"Resource\":\"*\"}]}",
    },
    {
        .name = "CloudWatchLogsFullAccess",
        .path = "/",
        .id = "ANPAKT4XYOBT5ERWNTCNQ",
        .version = "v3",
        .description = "Provides full access to CloudWatch Logs",
        .create_ms = 1423248002000LL,
        .update_ms = 1747760826000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"CloudWatchLogsFullAcce"
                    "ss\",\"Effect\":\"Allow\",\"Action\":[\"logs:*\","
                    "\"cloudwatch:GenerateQuery\",\"cloudwatch:GenerateQueryResultsSummary\"],"
                    "\"Resource\":\"*\"}]}",
    },
    {
        .name = "CloudWatchLogsReadOnlyAccess",
        .path = "/",
        .id = "ANPAFIMDFISMNTFCGDP3G",
        .version = "v6",
        .description = "Provides read only access to CloudWatch Logs",
        .create_ms = 1423248003000LL,
        .update_ms = 1701022293000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"CloudWatchLogsReadOnly"
                    "Access\",\"Effect\":\"Allow\",\"Action\":[\"logs:Describe*\",\"logs:Get*\","
                    "\"logs:List*\",\"logs:StartQuery\",\"logs:StopQuery\","
                    "\"logs:TestMetricFilter\",\"logs:FilterLogEvents\",\"logs:StartLiveTail\","
                    "\"logs:StopLiveTail\",\"cloudwatch:GenerateQuery\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "CloudWatchReadOnlyAccess",
        .path = "/",
        .id = "ANPAIA7SSWYAG7Q5NG775",
        .version = "v14",
        .description = "Provides read only access to CloudWatch.",
        .create_ms = 1423248061000LL,
        .update_ms = 1764694149000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"CloudWatchReadOnlyAcce"
                    "ssPermissions\",\"Effect\":\"Allow\",\"Action\":[\"autoscaling:Describe*\","
                    "\"cloudwatch:BatchGet*\",\"cloudwatch:Describe*\","
                    "\"cloudwatch:GenerateQuery\",\"cloudwatch:Get*\",\"cloudwatch:List*\","
                    "\"logs:Get*\",\"logs:List*\",\"logs:StartQuery\",\"logs:StopQuery\","
                    "\"logs:Describe*\",\"logs:TestMetricFilter\",\"logs:FilterLogEvents\","
                    "\"logs:StartLiveTail\",\"logs:StopLiveTail\",\"sns:Get*\",\"sns:List*\"],"
                    "\"Resource\":\"*\"}]}",
    },
    {
        .name = "IAMFullAccess",
        .path = "/",
        .id = "ANPA73SCBZMPB6KVLEBHI",
        .version = "v2",
        .description = "Provides full access to IAM via the AWS Management Console.",
        .create_ms = 1423248038000LL,
        .update_ms = 1561146000000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:*\",\"organizations:DescribeAccount\","
                    "\"organizations:DescribeOrganization\",\"organizations:DescribeOrganizationa"
                    "lUnit\",\"organizations:DescribePolicy\",\"organizations:ListChildren\","
                    "\"organizations:ListParents\",\"organizations:ListPoliciesForTarget\","
                    "\"organizations:ListRoots\",\"organizations:ListPolicies\","
                    "\"organizations:ListTargetsForPolicy\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "IAMReadOnlyAccess",
        .path = "/",
        .id = "ANPAZQJH4YH6SWVY4ZSWQ",
        .version = "v4",
        .description = "Provides read only access to IAM via the AWS Management Console.",
        .create_ms = 1423248039000LL,
        .update_ms = 1516907487000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:GenerateCredentialReport\","
                    "\"iam:GenerateServiceLastAccessedDetails\",\"iam:Get*\",\"iam:List*\","
                    "\"iam:SimulateCustomPolicy\",\"iam:SimulatePrincipalPolicy\"],"
                    "\"Resource\":\"*\"}]}",
    },
    {
        .name = "PowerUserAccess",
        .path = "/",
        .id = "ANPAZX3K6SFZLFXOTY2KL",
        .version = "v12",
        .description = "Provides full access to AWS services and resources, but does not allow "
                       "management of Users and groups.",
        .create_ms = 1423247987000LL,
        .update_ms = 1770919154000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"NotAction\":[\"iam:*\",\"organizations:*\",\"account:*\"],"
                    "\"Resource\":\"*\"},{\"Effect\":\"Allow\","
                    "\"Action\":[\"account:GetAccountInformation\",\"account:GetPrimaryEmail\","
                    "\"account:ListRegions\",\"iam:CreateServiceLinkedRole\","
                    "\"iam:DeleteServiceLinkedRole\",\"iam:ListRoles\","
                    "\"organizations:DescribeOrganization\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "ReadOnlyAccess",
        .path = "/",
        .id = "ANPALKWZT7J6EJAWEEATU",
        .version = "v87",
        .description = "Provides read-only access to AWS services and resources.",
        .create_ms = 1423247988000LL,
        .update_ms = 1653336978000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"cloudtrail:Describe*\",\"cloudtrail:Get*\","
                    "\"cloudtrail:List*\",\"cloudtrail:LookupEvents\",\"cloudwatch:Describe*\","
                    "\"cloudwatch:Get*\",\"cloudwatch:List*\",\"codebuild:BatchGet*\","
                    "\"codebuild:DescribeCodeCoverages\",\"codebuild:DescribeTestCases\","
                    "\"codebuild:GetResourcePolicy\",\"codebuild:List*\","
                    "\"codecommit:BatchGet*\",\"codecommit:Describe*\",\"codecommit:Get*\","
                    "\"codecommit:GitPull\",\"codecommit:List*\",\"codedeploy:Batch*\","
                    "\"codedeploy:Get*\",\"codedeploy:List*\",\"codepipeline:Get*\","
                    "\"codepipeline:List*\",\"events:Describe*\",\"events:List*\","
                    "\"events:TestEventPattern\",\"iam:Generate*\",\"iam:Get*\",\"iam:List*\","
                    "\"iam:Simulate*\",\"logs:Describe*\",\"logs:FilterLogEvents\",\"logs:Get*\","
                    "\"logs:List*\",\"logs:StartQuery\",\"logs:StopQuery\","
                    "\"logs:TestMetricFilter\",\"s3:Describe*\",\"s3:Get*\",\"s3:List*\","
                    "\"secretsmanager:Describe*\",\"secretsmanager:GetResourcePolicy\","
                    "\"secretsmanager:List*\",\"sns:Check*\",\"sns:Get*\",\"sns:List*\","
                    "\"ssm:Describe*\",\"ssm:Get*\",\"ssm:List*\",\"sts:GetAccessKeyInfo\","
                    "\"sts:GetCallerIdentity\",\"sts:GetSessionToken\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "SecretsManagerReadWrite",
        .path = "/",
        .id = "ANPA6KLHS7DQC4BFKEBBM",
        .version = "v6",
        .description = "Provides read/write access to AWS Secrets Manager via the AWS Management "
                       "Console. Note: this exludes IAM actions, so combine with IAMFullAccess if "
                       "rotation configuration is required.",
        .create_ms = 1522865129000LL,
        .update_ms = 1787701030000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"BasePermissions\","
                    "\"Effect\":\"Allow\",\"Action\":[\"secretsmanager:*\",\"kms:DescribeKey\","
                    "\"kms:ListAliases\",\"kms:ListKeys\",\"lambda:ListFunctions\","
                    "\"tag:GetResources\"],\"Resource\":\"*\"},{\"Sid\":\"LambdaPermissions\","
                    "\"Effect\":\"Allow\",\"Action\":[\"lambda:AddPermission\","
                    "\"lambda:CreateFunction\",\"lambda:GetFunction\",\"lambda:InvokeFunction\","
                    "\"lambda:UpdateFunctionConfiguration\"],\"Resource\":\"arn:aws:lambda:*:*:fu"
                    "nction:SecretsManager*\"},{\"Sid\":\"S3Permissions\",\"Effect\":\"Allow\","
                    "\"Action\":[\"s3:GetObject\"],\"Resource\":[\"arn:aws:s3:::awsserverlessrepo"
                    "-changesets*\",\"arn:aws:s3:::secrets-manager-rotation-apps-*/*\"]}]}",
    },
    {
        .name = "AWSCodeStarNotificationsServiceRolePolicy",
        .path = "/aws-service-role/",
        .id = "ANPAHX6RM6RBITNWL2S2N",
        .version = "v4",
        .description =
            "Allow AWS CodeStar Notifications to access Amazon CloudWatch Events on your "
            "behalf",
        .create_ms = 1572970227000LL,
        .update_ms = 1584633660000LL,
        .attachable = false,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Action\":[\"events:PutTargets"
                    "\",\"events:PutRule\",\"events:DescribeRule\"],"
                    "\"Resource\":\"arn:aws:events:*:*:rule/awscodestarnotifications-*\","
                    "\"Effect\":\"Allow\"},{\"Action\":[\"sns:CreateTopic\"],"
                    "\"Resource\":\"arn:aws:sns:*:*:CodeStarNotifications-*\","
                    "\"Effect\":\"Allow\"},{\"Action\":[\"codecommit:GetCommentsForPullRequest\","
                    "\"codecommit:GetCommentsForComparedCommit\",\"codecommit:GetDifferences\","
                    "\"codepipeline:ListActionExecutions\"],\"Resource\":\"*\","
                    "\"Effect\":\"Allow\"},{\"Action\":[\"codecommit:GetFile\"],"
                    "\"Resource\":\"*\",\"Condition\":{\"StringNotEquals\":{\"aws:ResourceTag/Exc"
                    "ludeFileContentFromNotifications\":\"true\"}},\"Effect\":\"Allow\"}]}",
    },
    {
        .name = "AWSElasticLoadBalancingServiceRolePolicy",
        .path = "/aws-service-role/",
        .id = "ANPAJIGW2GM7DE57QB4ZU",
        .version = "v1",
        .description = "Service Linked Role Policy for AWS Elastic Load Balancing Control Plane",
        .create_ms = 1505859544000LL,
        .update_ms = 1505859544000LL,
        .attachable = false,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"ec2:DescribeAddresses\",\"ec2:DescribeInstances\","
                    "\"ec2:DescribeSubnets\",\"ec2:DescribeSecurityGroups\",\"ec2:DescribeVpcs\","
                    "\"ec2:DescribeInternetGateways\",\"ec2:DescribeAccountAttributes\","
                    "\"ec2:DescribeClassicLinkInstances\",\"ec2:DescribeVpcClassicLink\","
                    "\"ec2:CreateSecurityGroup\",\"ec2:CreateNetworkInterface\","
                    "\"ec2:DeleteNetworkInterface\",\"ec2:ModifyNetworkInterfaceAttribute\","
                    "\"ec2:AuthorizeSecurityGroupIngress\",\"ec2:AssociateAddress\","
                    "\"ec2:DisassociateAddress\",\"ec2:AttachNetworkInterface\","
                    "\"ec2:DetachNetworkInterface\",\"ec2:AssignPrivateIpAddresses\","
                    "\"ec2:AssignIpv6Addresses\",\"ec2:UnassignIpv6Addresses\"],"
                    "\"Resource\":\"*\"}]}",
    },
    {
        .name = "AccessAnalyzerServiceRolePolicy",
        .path = "/aws-service-role/",
        .id = "ANPA7JKUEKNDH7DM7YNZN",
        .version = "v1",
        .description = "Allow Access Analyzer to analyze resource metadata",
        .create_ms = 1575306840000LL,
        .update_ms = 1575306840000LL,
        .attachable = false,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"iam:GetRole\",\"iam:ListRoles\",\"s3:GetBucketPolicy\","
                    "\"s3:ListAllMyBuckets\",\"secretsmanager:GetResourcePolicy\","
                    "\"secretsmanager:ListSecrets\",\"sns:GetTopicAttributes\","
                    "\"sns:ListTopics\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AmazonEventBridgeApiDestinationsServiceRolePolicy",
        .path = "/aws-service-role/",
        .id = "ANPAPLWVUBIP5AAULYXZO",
        .version = "v1",
        .description = "Enables access to Secrets Manager Secrets created by EventBridge",
        .create_ms = 1613076725000LL,
        .update_ms = 1613076725000LL,
        .attachable = false,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"secretsmanager:CreateSecret\",\"secretsmanager:UpdateSecret\","
                    "\"secretsmanager:DescribeSecret\",\"secretsmanager:DeleteSecret\","
                    "\"secretsmanager:GetSecretValue\",\"secretsmanager:PutSecretValue\"],"
                    "\"Resource\":\"arn:aws:secretsmanager:*:*:secret:events!connection/*\"}]}",
    },
    {
        .name = "AmazonEventBridgeSchemasServiceRolePolicy",
        .path = "/aws-service-role/",
        .id = "ANPA22GWXQHOHTSPRM7H7",
        .version = "v1",
        .description =
            "Grants permissions to EventBridge Schemas service to create and manage rules",
        .create_ms = 1574817040000LL,
        .update_ms = 1574817040000LL,
        .attachable = false,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"events:PutRule\",\"events:PutTargets\",\"events:EnableRule\","
                    "\"events:DisableRule\",\"events:DeleteRule\",\"events:RemoveTargets\","
                    "\"events:ListTargetsByRule\"],\"Resource\":[\"arn:aws:events:*:*:rule/*Schem"
                    "as-*\"]}]}",
    },
    {
        .name = "AmazonSSMServiceRolePolicy",
        .path = "/aws-service-role/",
        .id = "ANPASPUVSGEUZ4XGX5SYD",
        .version = "v1",
        .description = "Provides access to AWS Resources managed or used by Amazon SSM.",
        .create_ms = 1510602744000LL,
        .update_ms = 1510602744000LL,
        .attachable = false,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"ssm:CancelCommand\",\"ssm:GetCommandInvocation\","
                    "\"ssm:ListCommandInvocations\",\"ssm:ListCommands\",\"ssm:SendCommand\","
                    "\"ssm:GetAutomationExecution\",\"ssm:GetParameters\","
                    "\"ssm:StartAutomationExecution\",\"ssm:StopAutomationExecution\","
                    "\"ssm:ListTagsForResource\",\"ssm:GetCalendarState\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AutoScalingServiceRolePolicy",
        .path = "/aws-service-role/",
        .id = "ANPAUEEKKQPSWUUBB37H4",
        .version = "v1",
        .description =
            "Enables access to AWS Services and Resources used or managed by Auto Scaling",
        .create_ms = 1515453055000LL,
        .update_ms = 1515453055000LL,
        .attachable = false,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"AutoScalingServiceRole"
                    "Policy\",\"Effect\":\"Allow\",\"Action\":[\"cloudwatch:DeleteAlarms\","
                    "\"cloudwatch:DescribeAlarms\",\"cloudwatch:GetMetricData\","
                    "\"cloudwatch:PutMetricAlarm\",\"elasticloadbalancing:Register*\","
                    "\"elasticloadbalancing:Deregister*\",\"elasticloadbalancing:Describe*\","
                    "\"sns:Publish\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "CloudTrailServiceRolePolicy",
        .path = "/aws-service-role/",
        .id = "ANPA2S3BHQZGJYJOBAG7B",
        .version = "v1",
        .description = "Provides access to AWS services used or managed by CloudTrail",
        .create_ms = 1540416104000LL,
        .update_ms = 1540416104000LL,
        .attachable = false,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"CloudTrailFullAccess\""
                    ",\"Effect\":\"Allow\",\"Action\":[\"cloudtrail:*\"],\"Resource\":\"*\"},"
                    "{\"Sid\":\"AwsOrgsAccess\",\"Effect\":\"Allow\","
                    "\"Action\":[\"organizations:DescribeAccount\","
                    "\"organizations:DescribeOrganization\",\"organizations:ListAccounts\","
                    "\"organizations:ListAWSServiceAccessForOrganization\"],"
                    "\"Resource\":[\"*\"]}]}",
    },
    {
        .name = "CloudWatchEventsServiceRolePolicy",
        .path = "/aws-service-role/",
        .id = "ANPAV6GYLVWNX7NM6LC4U",
        .version = "v1",
        .description = "Allows CloudWatch Events to manage AWS resources on your behalf.",
        .create_ms = 1510879324000LL,
        .update_ms = 1510879324000LL,
        .attachable = false,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"cloudwatch:DescribeAlarms\",\"ec2:DescribeInstanceStatus\","
                    "\"ec2:DescribeInstances\",\"ec2:DescribeSnapshots\","
                    "\"ec2:DescribeVolumeStatus\",\"ec2:DescribeVolumes\","
                    "\"ec2:RebootInstances\",\"ec2:StopInstances\",\"ec2:TerminateInstances\","
                    "\"ec2:CreateSnapshot\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AWSCodeDeployRole",
        .path = "/service-role/",
        .id = "ANPABGPW4BZHALXXWKT36",
        .version = "v11",
        .description = "Provides CodeDeploy service access to expand tags and interact with Auto "
                       "Scaling on your behalf.",
        .create_ms = 1430762737000LL,
        .update_ms = 1692218338000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"autoscaling:CompleteLifecycleAction\","
                    "\"autoscaling:DeleteLifecycleHook\",\"autoscaling:DescribeAutoScalingGroups"
                    "\",\"autoscaling:DescribeLifecycleHooks\",\"autoscaling:PutLifecycleHook\","
                    "\"autoscaling:RecordLifecycleActionHeartbeat\","
                    "\"autoscaling:CreateAutoScalingGroup\",\"autoscaling:CreateOrUpdateTags\","
                    "\"autoscaling:UpdateAutoScalingGroup\",\"autoscaling:EnableMetricsCollection"
                    "\",\"autoscaling:DescribePolicies\",\"autoscaling:DescribeScheduledActions\""
                    ",\"autoscaling:DescribeNotificationConfigurations\","
                    "\"autoscaling:SuspendProcesses\",\"autoscaling:ResumeProcesses\","
                    "\"autoscaling:AttachLoadBalancers\",\"autoscaling:AttachLoadBalancerTargetGr"
                    "oups\",\"autoscaling:PutScalingPolicy\",\"autoscaling:PutScheduledUpdateGrou"
                    "pAction\",\"autoscaling:PutNotificationConfiguration\","
                    "\"autoscaling:PutWarmPool\",\"autoscaling:DescribeScalingActivities\","
                    "\"autoscaling:DeleteAutoScalingGroup\",\"ec2:DescribeInstances\","
                    "\"ec2:DescribeInstanceStatus\",\"ec2:TerminateInstances\","
                    "\"tag:GetResources\",\"sns:Publish\",\"cloudwatch:DescribeAlarms\","
                    "\"cloudwatch:PutMetricAlarm\",\"elasticloadbalancing:DescribeLoadBalancerAtt"
                    "ributes\",\"elasticloadbalancing:DescribeTargetGroupAttributes\","
                    "\"elasticloadbalancing:DescribeLoadBalancers\","
                    "\"elasticloadbalancing:DescribeInstanceHealth\","
                    "\"elasticloadbalancing:RegisterInstancesWithLoadBalancer\","
                    "\"elasticloadbalancing:DeregisterInstancesFromLoadBalancer\","
                    "\"elasticloadbalancing:DescribeTargetGroups\","
                    "\"elasticloadbalancing:DescribeTargetHealth\","
                    "\"elasticloadbalancing:RegisterTargets\","
                    "\"elasticloadbalancing:DeregisterTargets\"],\"Resource\":\"*\"}]}",
    },
    {
        .name = "AmazonEC2RoleforAWSCodeDeploy",
        .path = "/service-role/",
        .id = "ANPANVQRJQ5NEUBEDGGO6",
        .version = "v2",
        .description = "Provides EC2 access to S3 bucket to download revision. This role is needed "
                       "by the CodeDeploy agent on EC2 instances.",
        .create_ms = 1432059014000LL,
        .update_ms = 1490030050000LL,
        .attachable = true,
        .document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":[\"s3:GetObject\",\"s3:GetObjectVersion\",\"s3:ListBucket\"],"
                    "\"Resource\":\"*\"}]}",
    },
};

size_t iam_aws_policy_count(void)
{
    return ARRAY_SIZE(aws_policies);
}

const struct iam_aws_policy *iam_aws_policy_at(size_t index)
{
    return index < ARRAY_SIZE(aws_policies) ? &aws_policies[index] : NULL;
}

void iam_aws_policy_arn(struct buf *out, const struct iam_aws_policy *p)
{
    buf_addf(out, "%s%s%s", IAM_AWS_POLICY_PREFIX, p->path, p->name);
}

const struct iam_aws_policy *iam_aws_policy_find(const char *arn)
{
    size_t prefix_len = strlen(IAM_AWS_POLICY_PREFIX);
    if (strncmp(arn, IAM_AWS_POLICY_PREFIX, prefix_len) != 0)
        return NULL;
    const char *rest = arn + prefix_len;
    for (size_t i = 0; i < ARRAY_SIZE(aws_policies); i++) {
        const struct iam_aws_policy *p = &aws_policies[i];
        size_t path_len = strlen(p->path);
        if (strncmp(rest, p->path, path_len) == 0 && strcmp(rest + path_len, p->name) == 0)
            return p;
    }
    return NULL;
}
