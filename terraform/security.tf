# The deployment's KMS key (SSM parameters, flow log group, RDS storage and Performance
# Insights) and the secrets (the passwords, the api's JWT signing key, the RabbitMQ cluster's
# Erlang cookie) as SecureString SSM parameters. Each instance role may read only the parameters its tier needs (see main.tf), so
# no secret is ever in user data.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: SSM parameters, flow logs, RDS"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  # Key policy: the account administers the key through IAM (the instance roles get kms:Decrypt
  # via SSM only, in their own policies); CloudWatch Logs may use it for this deployment's log
  # groups only.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsOfThisDeployment"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.aws_region}.amazonaws.com" }
        Action = [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ]
        Resource = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${data.aws_partition.current.partition}:logs:${var.aws_region}:${data.aws_caller_identity.current.account_id}:log-group:/${var.name_prefix}/*"
          }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this.key_id
}

locals {
  secret_values = {
    redis_password      = var.redis_password
    rabbitmq_password   = var.rabbitmq_password
    mysql_password      = var.mysql_password
    mysql_root_password = var.mysql_root_password
    jwt_secret          = var.jwt_secret
    # Only with broker_cluster (a precondition in main.tf requires it then).
    rabbitmq_erlang_cookie = var.rabbitmq_erlang_cookie
  }
  # Not decided by a secret's value: a sensitive value cannot choose what for_each creates.
  secret_keys = concat(
    ["redis_password", "rabbitmq_password", "mysql_password", "mysql_root_password", "jwt_secret"],
    var.broker_cluster ? ["rabbitmq_erlang_cookie"] : [],
  )
}

resource "aws_ssm_parameter" "secret" {
  for_each = toset(local.secret_keys)

  name        = "/${var.name_prefix}/${each.key}"
  description = "${var.name_prefix} ${replace(each.key, "_", " ")} (read by the instances at boot)"
  type        = "SecureString"
  key_id      = aws_kms_key.this.arn
  value       = local.secret_values[each.key]

  # A missing Erlang cookie is reported by the precondition there, before this fails on it.
  depends_on = [terraform_data.settings]
}
