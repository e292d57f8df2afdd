# Optional Amazon RDS for MySQL 8.4 in place of the MySQL instance (use_rds = true): private,
# encrypted with the deployment's KMS key, automated backups, Multi-AZ by default, enhanced
# monitoring, Performance Insights, error and slow query logs in CloudWatch. Optionally a read
# replica with the same settings, for the api's ticket queries (MYSQL_READ_URL).

data "aws_partition" "current" {}

resource "aws_db_subnet_group" "this" {
  name        = "${var.name_prefix}-mysql"
  description = "Private subnets of ${var.name_prefix}"
  subnet_ids  = var.subnet_ids
}

resource "aws_db_parameter_group" "this" {
  name        = "${var.name_prefix}-mysql84"
  family      = "mysql8.4"
  description = "MySQL 8.4 for ${var.name_prefix}: slow query log on"

  parameter {
    name  = "slow_query_log"
    value = "1"
  }

  parameter {
    name  = "long_query_time"
    value = "1"
  }

  parameter {
    name  = "max_connections"
    value = "1000"
  }

  lifecycle {
    create_before_destroy = true
  }
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${var.name_prefix}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_161:The programs authenticate with a MySQL password from MYSQL_URL (mysql_async); IAM database authentication tokens are not supported by them.
  #checkov:skip=CKV2_AWS_69:The programs are built without TLS (plain mysql://); traffic stays inside the VPC, between security groups that admit only the api and broker tiers.
  identifier     = "${var.name_prefix}-mysql"
  engine         = "mysql"
  engine_version = "8.4"
  instance_class = var.instance_class

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.allocated_storage_gb * 2
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_name  = var.database
  username = var.username
  password = var.password

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = var.security_group_ids
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = var.multi_az
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  backup_retention_period   = var.backup_retention_days
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name_prefix}-mysql-final"

  auto_minor_version_upgrade      = true
  enabled_cloudwatch_logs_exports = ["error", "slowquery"]
  monitoring_interval             = 60
  monitoring_role_arn             = aws_iam_role.monitoring.arn
  performance_insights_enabled    = true
  performance_insights_kms_key_id = var.kms_key_arn

  depends_on = [aws_iam_role_policy_attachment.monitoring]
}

# Asynchronous replication of the instance above: the api's ticket queries read here. It has
# the primary's users (the master user may read the replication lag, which /api/v1/ready
# reports) and its own backups, monitoring and logs.
resource "aws_db_instance" "replica" {
  #checkov:skip=CKV_AWS_161:The programs authenticate with a MySQL password from MYSQL_READ_URL (mysql_async); IAM database authentication tokens are not supported by them.
  #checkov:skip=CKV2_AWS_69:The programs are built without TLS (plain mysql://); traffic stays inside the VPC, between security groups that admit only the api and broker tiers.
  count = var.read_replica ? 1 : 0

  identifier          = "${var.name_prefix}-mysql-replica"
  replicate_source_db = aws_db_instance.this.identifier
  instance_class      = var.instance_class

  max_allocated_storage = var.allocated_storage_gb * 2
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  vpc_security_group_ids = var.security_group_ids
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = var.multi_az
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  backup_retention_period = var.backup_retention_days
  copy_tags_to_snapshot   = true
  deletion_protection     = var.deletion_protection
  # RDS takes no final snapshot of a replica: its data is the primary's.
  skip_final_snapshot = true

  auto_minor_version_upgrade      = true
  enabled_cloudwatch_logs_exports = ["error", "slowquery"]
  monitoring_interval             = 60
  monitoring_role_arn             = aws_iam_role.monitoring.arn
  performance_insights_enabled    = true
  performance_insights_kms_key_id = var.kms_key_arn

  depends_on = [aws_iam_role_policy_attachment.monitoring]
}
