# Test fixture for scripts/check-deploy.sh (not a deployment): renders the user data of every
# tier through modules/user_data with sample values, offline (the module needs no provider), so
# the rendered scripts can be checked with `bash -n` and shellcheck. check-deploy.sh copies this
# directory under .local/ and runs `terraform init` and `terraform apply` there.

locals {
  images = {
    api       = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ticketing-api:1.0.0"
    consumers = "registry.example.com/ticketing/consumers:1.0.0"
    redis     = "redis:7.4"
    rabbitmq  = "rabbitmq:3.13-management"
    mysql     = "mysql:8.4"
    dynamodb  = "amazon/dynamodb-local:2.6.0"
  }
  secret = {
    redis_password      = "/ticketing/redis_password"
    rabbitmq_password   = "/ticketing/rabbitmq_password"
    mysql_password      = "/ticketing/mysql_password"
    mysql_root_password = "/ticketing/mysql_root_password"
    jwt_secret          = "/ticketing/jwt_secret"
  }
  host = {
    redis    = "10.40.128.10"
    rabbitmq = "10.40.128.11"
    mysql    = "ticketing-mysql.abcdefghijkl.eu-west-1.rds.amazonaws.com"
    dynamodb = "10.40.128.13"
  }
  # Each tier gets the secrets and hosts terraform/main.tf gives it, no more: a template that
  # uses one its tier is not given fails to render here, as it would in a plan.
  secrets = {
    api      = { for k in ["redis_password", "rabbitmq_password", "mysql_password", "jwt_secret"] : k => local.secret[k] }
    broker   = { for k in ["redis_password", "rabbitmq_password", "mysql_password"] : k => local.secret[k] }
    redis    = { for k in ["redis_password"] : k => local.secret[k] }
    mysql    = { for k in ["mysql_password", "mysql_root_password"] : k => local.secret[k] }
    dynamodb = {}
  }
  hosts = {
    api      = { for k in ["redis", "rabbitmq", "mysql"] : k => local.host[k] }
    broker   = { for k in ["redis", "mysql", "dynamodb"] : k => local.host[k] }
    redis    = {}
    mysql    = {}
    dynamodb = {}
  }
  settings = {
    relay_consumer          = "relay-api-1"
    rabbitmq_user           = "ticketing"
    mysql_user              = "ticketing"
    mysql_database          = "ticketing"
    kafka_bootstrap         = "b-1.kafka.example.com:9092,b-2.kafka.example.com:9092"
    mysql_consumer_count    = "2"
    dynamodb_consumer_count = "1"
  }
}

module "user_data" {
  source   = "../../modules/user_data"
  for_each = toset(["api", "broker", "redis", "mysql", "dynamodb"])

  tier              = each.key
  name_prefix       = "ticketing"
  aws_region        = "eu-west-1"
  ecr_registries    = [{ host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com", region = "eu-west-1" }]
  images            = local.images
  secret_parameters = local.secrets[each.key]
  hosts             = local.hosts[each.key]
  settings          = local.settings
  app_env           = { RUST_LOG = "api=debug,info", LOG_FORMAT = "json", CONSUMER_CONCURRENCY = "4" }
}

output "rendered" {
  description = "User data script of each tier."
  value       = { for tier, m in module.user_data : tier => m.rendered }
}
