# The topology: one EC2 instance per data tier, several API instances behind a load balancer.
#
#   alb (public subnets of both zones; modules/alb)
#   api: api_instance_count of them, over both zones, reached only through the alb
#   broker: RabbitMQ + the consumers (`consumers mysql`, `consumers dynamodb`); three
#           clustered nodes with broker_cluster
#   redis, mysql (or RDS with use_rds, optionally with a read replica), dynamodb (DynamoDB Local)
#   -- every instance in the private subnets
#
# Each instance runs its containers with Docker (modules/user_data), wired to the others'
# private addresses. Security groups: modules/security_groups. docs/deployment.md: how to use it.

data "aws_ssm_parameter" "al2023" {
  count = var.ami_id == null ? 1 : 0

  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

locals {
  ami_id = var.ami_id != null ? var.ami_id : data.aws_ssm_parameter.al2023[0].insecure_value

  images = {
    api       = var.api_image
    consumers = var.consumers_image
    redis     = var.redis_image
    rabbitmq  = var.rabbitmq_image
    mysql     = var.mysql_image
    dynamodb  = var.dynamodb_image
  }

  # Images in ECR (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG|@DIGEST]): the instances log
  # in with their role, which may pull from exactly these repositories.
  ecr_pattern = "^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([^:@]+)"
  ecr = {
    for role in ["api", "consumers"] : role => {
      host   = split("/", local.images[role])[0]
      region = regex(local.ecr_pattern, local.images[role])[1]
      arn    = "arn:${data.aws_partition.current.partition}:ecr:${regex(local.ecr_pattern, local.images[role])[1]}:${regex(local.ecr_pattern, local.images[role])[0]}:repository/${regex(local.ecr_pattern, local.images[role])[2]}"
    } if can(regex(local.ecr_pattern, local.images[role]))
  }
  ecr_registries      = { for role, e in local.ecr : role => [{ host = e.host, region = e.region }] }
  ecr_repository_arns = { for role, e in local.ecr : role => [e.arn] }

  secret_arns  = { for key, p in aws_ssm_parameter.secret : key => p.arn }
  secret_names = { for key, p in aws_ssm_parameter.secret : key => p.name }

  app_env = merge({ RUST_LOG = "info", LOG_FORMAT = "json" }, var.app_settings)

  common_settings = {
    rabbitmq_user   = var.rabbitmq_user
    mysql_user      = var.mysql_user
    mysql_database  = var.mysql_database
    kafka_bootstrap = var.kafka_bootstrap
  }

  mysql_host      = var.use_rds ? module.rds[0].address : module.mysql[0].private_ip
  mysql_read_host = var.use_rds && var.rds_read_replica ? module.rds[0].replica_address : null

  # Fixed private addresses (hosts 10-14 of the private subnets): the tiers are wired to each
  # other's addresses at boot, and a replaced instance comes back on the same one.
  private_ips = {
    redis    = cidrhost(module.network.private_subnet_cidrs[0], 10)
    mysql    = cidrhost(module.network.private_subnet_cidrs[0], 12)
    dynamodb = cidrhost(module.network.private_subnet_cidrs[0], 13)
  }

  # The broker nodes: one, or three over both zones (a cluster survives the loss of a zone's
  # node as long as two of the three answer). The first keeps the single broker's address.
  broker_count = var.broker_cluster ? 3 : 1
  broker_nodes = [
    for i in range(local.broker_count) : {
      subnet = i % 2
      ip     = cidrhost(module.network.private_subnet_cidrs[i % 2], i < 2 ? 11 : 14)
    }
  ]
  broker_ips = [for node in local.broker_nodes : node.ip]

  broker_secrets = merge({
    redis_password    = local.secret_names.redis_password
    rabbitmq_password = local.secret_names.rabbitmq_password
    mysql_password    = local.secret_names.mysql_password
  }, var.broker_cluster ? { rabbitmq_erlang_cookie = local.secret_names.rabbitmq_erlang_cookie } : {})

  # The listeners' ports, which the load balancer's security group opens to api_ingress_cidrs.
  alb_listener_ports = var.alb_certificate_arn == null ? [80] : [80, 443]
}

# Rules between variables, checked at plan time.
resource "terraform_data" "settings" {
  input = { broker_cluster = var.broker_cluster, rds_read_replica = var.rds_read_replica }

  lifecycle {
    precondition {
      condition     = !var.broker_cluster || var.rabbitmq_erlang_cookie != null
      error_message = "broker_cluster = true needs rabbitmq_erlang_cookie (e.g. export TF_VAR_rabbitmq_erlang_cookie=$(openssl rand -hex 32))."
    }
    precondition {
      condition     = !var.rds_read_replica || var.use_rds
      error_message = "rds_read_replica = true needs use_rds = true: the replica is one of the RDS instance."
    }
  }
}

module "network" {
  source = "./modules/network"

  name_prefix             = var.name_prefix
  vpc_cidr                = var.vpc_cidr
  availability_zones      = var.availability_zones
  kms_key_arn             = aws_kms_key.this.arn
  flow_log_retention_days = var.flow_log_retention_days
}

module "security_groups" {
  source = "./modules/security_groups"

  name_prefix        = var.name_prefix
  vpc_id             = module.network.vpc_id
  api_ingress_cidrs  = var.api_ingress_cidrs
  alb_listener_ports = local.alb_listener_ports
  broker_cluster     = var.broker_cluster
  ssh_ingress_cidrs  = var.ssh_ingress_cidrs
}

# ---------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------

module "redis_user_data" {
  source = "./modules/user_data"

  tier              = "redis"
  name_prefix       = var.name_prefix
  aws_region        = var.aws_region
  images            = local.images
  secret_parameters = { redis_password = local.secret_names.redis_password }
}

module "redis" {
  source = "./modules/instance"

  name                       = "${var.name_prefix}-redis"
  tier                       = "redis"
  aws_region                 = var.aws_region
  ami_id                     = local.ami_id
  instance_type              = var.redis_instance_type
  subnet_id                  = module.network.private_subnet_ids[0]
  private_ip                 = local.private_ips.redis
  security_group_ids         = [module.security_groups.ids.redis]
  key_name                   = var.ssh_key_name
  root_volume_gb             = var.data_root_volume_gb
  keep_root_volume           = true
  user_data                  = module.redis_user_data.rendered
  ssm_parameter_arns         = [local.secret_arns.redis_password]
  kms_key_arn                = aws_kms_key.this.arn
  enable_ssm_session_manager = var.enable_ssm_session_manager
}

# ---------------------------------------------------------------------------------------------
# MySQL: an instance, or RDS
# ---------------------------------------------------------------------------------------------

module "mysql_user_data" {
  source = "./modules/user_data"
  count  = var.use_rds ? 0 : 1

  tier        = "mysql"
  name_prefix = var.name_prefix
  aws_region  = var.aws_region
  images      = local.images
  secret_parameters = {
    mysql_password      = local.secret_names.mysql_password
    mysql_root_password = local.secret_names.mysql_root_password
  }
  settings = local.common_settings
}

module "mysql" {
  source = "./modules/instance"
  count  = var.use_rds ? 0 : 1

  name                       = "${var.name_prefix}-mysql"
  tier                       = "mysql"
  aws_region                 = var.aws_region
  ami_id                     = local.ami_id
  instance_type              = var.mysql_instance_type
  subnet_id                  = module.network.private_subnet_ids[0]
  private_ip                 = local.private_ips.mysql
  security_group_ids         = [module.security_groups.ids.mysql]
  key_name                   = var.ssh_key_name
  root_volume_gb             = var.data_root_volume_gb
  keep_root_volume           = true
  user_data                  = module.mysql_user_data[0].rendered
  ssm_parameter_arns         = [local.secret_arns.mysql_password, local.secret_arns.mysql_root_password]
  kms_key_arn                = aws_kms_key.this.arn
  enable_ssm_session_manager = var.enable_ssm_session_manager
}

module "rds" {
  source = "./modules/rds_mysql"
  count  = var.use_rds ? 1 : 0

  name_prefix           = var.name_prefix
  subnet_ids            = module.network.private_subnet_ids
  security_group_ids    = [module.security_groups.ids.mysql]
  kms_key_arn           = aws_kms_key.this.arn
  instance_class        = var.rds_instance_class
  allocated_storage_gb  = var.rds_allocated_storage_gb
  database              = var.mysql_database
  username              = var.mysql_user
  password              = var.mysql_password
  multi_az              = var.rds_multi_az
  backup_retention_days = var.rds_backup_retention_days
  deletion_protection   = var.rds_deletion_protection
  read_replica          = var.rds_read_replica
}

# ---------------------------------------------------------------------------------------------
# DynamoDB Local
# ---------------------------------------------------------------------------------------------

module "dynamodb_user_data" {
  source = "./modules/user_data"

  tier        = "dynamodb"
  name_prefix = var.name_prefix
  aws_region  = var.aws_region
  images      = local.images
}

module "dynamodb" {
  source = "./modules/instance"

  name                       = "${var.name_prefix}-dynamodb"
  tier                       = "dynamodb"
  aws_region                 = var.aws_region
  ami_id                     = local.ami_id
  instance_type              = var.dynamodb_instance_type
  subnet_id                  = module.network.private_subnet_ids[0]
  private_ip                 = local.private_ips.dynamodb
  security_group_ids         = [module.security_groups.ids.dynamodb]
  key_name                   = var.ssh_key_name
  root_volume_gb             = var.data_root_volume_gb
  keep_root_volume           = true
  user_data                  = module.dynamodb_user_data.rendered
  enable_ssm_session_manager = var.enable_ssm_session_manager
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ + consumers: one broker, or a cluster of three (broker_cluster)
# ---------------------------------------------------------------------------------------------

module "broker_user_data" {
  source = "./modules/user_data"
  count  = local.broker_count

  tier           = "broker"
  name_prefix    = var.name_prefix
  aws_region     = var.aws_region
  ecr_registries = lookup(local.ecr_registries, "consumers", [])
  images         = local.images
  # The Redis password and address only for `consumers reset`, which also wipes the seat state
  # and the outbox; the consumers themselves never use Redis.
  secret_parameters = local.broker_secrets
  hosts = {
    redis    = module.redis.private_ip
    mysql    = local.mysql_host
    dynamodb = module.dynamodb.private_ip
  }
  rabbitmq_nodes = local.broker_ips
  settings = merge(local.common_settings, {
    rabbitmq_node           = tostring(count.index + 1)
    mysql_consumer_count    = tostring(var.mysql_consumer_count)
    dynamodb_consumer_count = tostring(var.dynamodb_consumer_count)
  })
  app_env = local.app_env
}

module "broker" {
  source = "./modules/instance"
  count  = local.broker_count

  # A single broker is named <name_prefix>-broker, as it always is without a cluster: an
  # existing deployment keeps its instance and IAM role.
  name                       = var.broker_cluster ? "${var.name_prefix}-broker-${count.index + 1}" : "${var.name_prefix}-broker"
  tier                       = "broker"
  aws_region                 = var.aws_region
  ami_id                     = local.ami_id
  instance_type              = var.broker_instance_type
  subnet_id                  = module.network.private_subnet_ids[local.broker_nodes[count.index].subnet]
  private_ip                 = local.broker_nodes[count.index].ip
  security_group_ids         = [module.security_groups.ids.broker]
  key_name                   = var.ssh_key_name
  root_volume_gb             = var.app_root_volume_gb
  keep_root_volume           = true
  user_data                  = module.broker_user_data[count.index].rendered
  ssm_parameter_arns         = [for key in keys(local.broker_secrets) : local.secret_arns[key]]
  kms_key_arn                = aws_kms_key.this.arn
  ecr_repository_arns        = lookup(local.ecr_repository_arns, "consumers", [])
  enable_ssm_session_manager = var.enable_ssm_session_manager
}

# A deployment with one broker has it at module.broker, outside a list: it becomes the list's
# first, with no replacement.
moved {
  from = module.broker_user_data
  to   = module.broker_user_data[0]
}

moved {
  from = module.broker
  to   = module.broker[0]
}

# ---------------------------------------------------------------------------------------------
# API instances (stateless: replaced when their user data, e.g. the api image, changes), in the
# private subnets of both zones, behind the load balancer
# ---------------------------------------------------------------------------------------------

module "api_user_data" {
  source = "./modules/user_data"
  count  = var.api_instance_count

  tier           = "api"
  name_prefix    = var.name_prefix
  aws_region     = var.aws_region
  ecr_registries = lookup(local.ecr_registries, "api", [])
  images         = local.images
  # The JWT key only here: the api alone signs and checks tokens.
  secret_parameters = {
    redis_password    = local.secret_names.redis_password
    rabbitmq_password = local.secret_names.rabbitmq_password
    mysql_password    = local.secret_names.mysql_password
    jwt_secret        = local.secret_names.jwt_secret
  }
  hosts = merge({
    redis = module.redis.private_ip
    mysql = local.mysql_host
  }, local.mysql_read_host == null ? {} : { mysql_read = local.mysql_read_host })
  # Every node, each api starting from a different one: the relays' connections spread over
  # the cluster, and each moves on to the next node when its own refuses or does not answer.
  rabbitmq_nodes = [for i in range(local.broker_count) : local.broker_ips[(count.index + i) % local.broker_count]]
  # Each api's relay has its own, stable consumer name in the outbox consumer group.
  settings = merge(local.common_settings, { relay_consumer = "relay-api-${count.index + 1}" })
  app_env  = local.app_env
}

module "api" {
  source = "./modules/instance"
  count  = var.api_instance_count

  name                        = "${var.name_prefix}-api-${count.index + 1}"
  tier                        = "api"
  aws_region                  = var.aws_region
  ami_id                      = local.ami_id
  instance_type               = var.api_instance_type
  subnet_id                   = module.network.private_subnet_ids[count.index % 2]
  security_group_ids          = [module.security_groups.ids.api]
  key_name                    = var.ssh_key_name
  root_volume_gb              = var.app_root_volume_gb
  user_data                   = module.api_user_data[count.index].rendered
  replace_on_user_data_change = true
  ssm_parameter_arns          = [local.secret_arns.redis_password, local.secret_arns.rabbitmq_password, local.secret_arns.mysql_password, local.secret_arns.jwt_secret]
  kms_key_arn                 = aws_kms_key.this.arn
  ecr_repository_arns         = lookup(local.ecr_repository_arns, "api", [])
  enable_ssm_session_manager  = var.enable_ssm_session_manager
}

module "alb" {
  source = "./modules/alb"

  name_prefix               = var.name_prefix
  aws_region                = var.aws_region
  account_id                = data.aws_caller_identity.current.account_id
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.public_subnet_ids
  security_group_ids        = [module.security_groups.ids.alb]
  targets                   = { for i, api in module.api : "api-${i + 1}" => api.id }
  certificate_arn           = var.alb_certificate_arn
  deletion_protection       = var.alb_deletion_protection
  access_log_retention_days = var.alb_access_log_retention_days
}
