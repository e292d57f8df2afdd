# One EC2 instance of a tier: IMDSv2 only, encrypted gp3 root volume, detailed monitoring, its
# own IAM role (SSM Session Manager; read access to exactly the SSM parameters and ECR
# repositories it needs), user data that installs Docker and runs the tier's containers, and
# optionally a public address with an Elastic IP (no tier uses it: the API instances are
# reached through the load balancer).

data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  description        = "Instance role of ${var.name} (${var.tier} tier)"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = { Tier = var.tier }
}

resource "aws_iam_instance_profile" "this" {
  name = var.name
  role = aws_iam_role.this.name
}

resource "aws_iam_role_policy_attachment" "ssm_core" {
  count = var.enable_ssm_session_manager ? 1 : 0

  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "runtime" {
  dynamic "statement" {
    for_each = length(var.ssm_parameter_arns) > 0 ? [1] : []
    content {
      sid       = "ReadOwnSecrets"
      actions   = ["ssm:GetParameter", "ssm:GetParameters"]
      resources = var.ssm_parameter_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.ssm_parameter_arns) > 0 ? [1] : []
    content {
      sid       = "DecryptSecretsThroughSsm"
      actions   = ["kms:Decrypt"]
      resources = [var.kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${var.aws_region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [1] : []
    content {
      sid = "EcrLogin"
      # GetAuthorizationToken has no resource-level permissions: it only yields a token; what
      # can be pulled with it is limited by the next statement.
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [1] : []
    content {
      sid       = "PullOwnImages"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      resources = var.ecr_repository_arns
    }
  }
}

resource "aws_iam_role_policy" "runtime" {
  count = length(var.ssm_parameter_arns) + length(var.ecr_repository_arns) > 0 ? 1 : 0

  name   = "runtime"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.runtime.json
}

# Changes only when the user data should replace the instance (stateless tiers).
resource "terraform_data" "user_data_revision" {
  input = var.replace_on_user_data_change ? sha256(var.user_data) : "keep"
}

resource "aws_instance" "this" {
  ami                         = var.ami_id
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  private_ip                  = var.private_ip
  vpc_security_group_ids      = var.security_group_ids
  associate_public_ip_address = var.public
  key_name                    = var.key_name
  iam_instance_profile        = aws_iam_instance_profile.this.name
  user_data                   = var.user_data
  monitoring                  = true
  ebs_optimized               = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_gb
    encrypted             = true
    delete_on_termination = !var.keep_root_volume
  }

  tags        = { Name = var.name, Tier = var.tier }
  volume_tags = { Name = var.name, Tier = var.tier }

  lifecycle {
    # A newer default AMI or an edited template must not replace a data tier by surprise:
    # stateful tiers keep running until replaced on purpose (terraform apply -replace=...).
    ignore_changes       = [ami, user_data]
    replace_triggered_by = [terraform_data.user_data_revision]
  }

  depends_on = [aws_iam_role_policy.runtime, aws_iam_role_policy_attachment.ssm_core]
}

resource "aws_eip" "this" {
  count = var.public ? 1 : 0

  domain   = "vpc"
  instance = aws_instance.this.id

  tags = { Name = var.name, Tier = var.tier }
}
