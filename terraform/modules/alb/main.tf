# The Application Load Balancer in front of the API instances: public subnets of both zones,
# round-robin over the instances, each in rotation only while GET /api/v1/ready answers 200.
# HTTP on port 80, or, with a certificate, HTTPS on 443 and port 80 redirecting to it. Access
# logs go to an S3 bucket of their own; invalid header fields are dropped; deletion protection
# is on by default.
#
# When every instance fails its health check (e.g. RabbitMQ or MySQL down for all of them), an
# ALB sends the requests to all of them anyway: purchases still succeed then (the outbox keeps
# the events), and an api answers 503 itself for what truly needs the missing dependency.

locals {
  https = var.certificate_arn != null
  # ALB access logs land under <prefix>/AWSLogs/<account>/.
  log_prefix = "alb"
}

# ---------------------------------------------------------------------------------------------
# Access logs
# ---------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_145:ALB access log delivery supports only SSE-S3 (AES256) on its bucket, not SSE-KMS.
  #checkov:skip=CKV_AWS_144:Access logs of a load balancer that exists in one region; a copy in another region would outlive nothing it describes.
  #checkov:skip=CKV_AWS_18:This bucket holds access logs itself; logging its own accesses would need yet another bucket for the same purpose.
  #checkov:skip=CKV2_AWS_62:Nothing consumes the log files as they arrive; they are read on demand (Athena, aws s3 cp).
  # Globally unique: the account and region make it so for a given name_prefix.
  bucket = "${var.name_prefix}-alb-logs-${var.account_id}-${var.aws_region}"
  # Tied to the load balancer's protection: with it off (before `terraform destroy`), destroy
  # may delete the logs too.
  force_destroy = !var.deletion_protection
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "LoadBalancerWritesAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/${local.log_prefix}/AWSLogs/${var.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

# ---------------------------------------------------------------------------------------------
# Load balancer, target group, listeners
# ---------------------------------------------------------------------------------------------

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_20:Port 80 redirects to HTTPS whenever there is a certificate (alb_certificate_arn); without one there is nothing to redirect to, and the API is plain HTTP for load tests from api_ingress_cidrs.
  #checkov:skip=CKV2_AWS_28:The security group admits only api_ingress_cidrs. AWS's managed WAF rule sets would also judge the load generators' traffic (the Rust loadtest sends no User-Agent, which the common rule set blocks); attach a web ACL for a sale open to everyone (docs/deployment.md).
  name               = "${var.name_prefix}-api"
  internal           = false
  load_balancer_type = "application"
  security_groups    = var.security_group_ids
  subnets            = var.subnet_ids

  # Longer than any request the api serves. The api never closes an idle connection itself, so
  # the ALB is the one that does: no 502 for a request sent on a connection the api just closed.
  idle_timeout               = 60
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "defensive"
  enable_deletion_protection = var.deletion_protection

  access_logs {
    bucket  = aws_s3_bucket.access_logs.id
    prefix  = local.log_prefix
    enabled = true
  }

  tags = { Name = "${var.name_prefix}-api", Tier = "alb" }

  # The ALB checks that it may write to the bucket when logging is switched on.
  depends_on = [aws_s3_bucket_policy.access_logs]
}

resource "aws_lb_target_group" "api" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the API instances serve plain HTTP in private subnets, reachable only from the load balancer's security group.
  name                          = "${var.name_prefix}-api"
  port                          = var.target_port
  protocol                      = "HTTP"
  vpc_id                        = var.vpc_id
  target_type                   = "instance"
  load_balancing_algorithm_type = "round_robin"
  # More than the api's shutdown grace (API_SHUTDOWN_GRACE_SECS, 15 s): requests in flight
  # finish on an instance being replaced.
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = var.health_check_path
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  tags = { Name = "${var.name_prefix}-api", Tier = "api" }
}

resource "aws_lb_target_group_attachment" "api" {
  for_each = var.targets

  target_group_arn = aws_lb_target_group.api.arn
  target_id        = each.value
  port             = var.target_port
}

# Without a certificate: the API on plain HTTP, port 80.
resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Only without alb_certificate_arn (a certificate needs a domain the deployment may not have): load tests from api_ingress_cidrs. With one, the https listener serves and port 80 only redirects.
  #checkov:skip=CKV_AWS_103:As above: without a certificate there is no TLS to set a policy for; the https listener requires TLS 1.2 or later.
  count = local.https ? 0 : 1

  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_lb_listener" "http_to_https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}
