# Test fixture for scripts/check-deploy.sh (not a deployment): renders the user data of every
# tier through modules/user_data with sample values, offline (the module needs no provider), so
# the rendered scripts can be checked with `bash -n` and shellcheck. check-deploy.sh copies this
# directory under .local/ and runs `terraform init` and `terraform apply` there.
#
# Cases: each tier as terraform/main.tf renders it by default (one broker, no read replica),
# and the scaled-out variants: an api given a broker cluster and a read replica
# (api-scaled), and the second node of a broker cluster (broker-cluster).

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
    redis_password         = "/ticketing/redis_password"
    rabbitmq_password      = "/ticketing/rabbitmq_password"
    mysql_password         = "/ticketing/mysql_password"
    mysql_root_password    = "/ticketing/mysql_root_password"
    jwt_secret             = "/ticketing/jwt_secret"
    rabbitmq_erlang_cookie = "/ticketing/rabbitmq_erlang_cookie"
  }
  host = {
    redis      = "10.40.128.10"
    mysql      = "ticketing-mysql.abcdefghijkl.eu-west-1.rds.amazonaws.com"
    mysql_read = "ticketing-mysql-replica.abcdefghijkl.eu-west-1.rds.amazonaws.com"
    dynamodb   = "10.40.128.13"
  }
  broker_ips  = ["10.40.128.11", "10.40.144.11", "10.40.128.14"]
  secret_keys = ["redis_password", "rabbitmq_password", "mysql_password"]

  # Each case gets the secrets and hosts terraform/main.tf gives its tier, no more: a template
  # that uses one its tier is not given fails to render here, as it would in a plan.
  cases = {
    api = {
      tier           = "api"
      secrets        = concat(local.secret_keys, ["jwt_secret"])
      hosts          = ["redis", "mysql"]
      rabbitmq_nodes = [local.broker_ips[0]]
      settings       = { relay_consumer = "relay-api-1" }
    }
    api-scaled = {
      tier           = "api"
      secrets        = concat(local.secret_keys, ["jwt_secret"])
      hosts          = ["redis", "mysql", "mysql_read"]
      rabbitmq_nodes = [local.broker_ips[1], local.broker_ips[2], local.broker_ips[0]]
      settings       = { relay_consumer = "relay-api-2" }
    }
    broker = {
      tier           = "broker"
      secrets        = local.secret_keys
      hosts          = ["redis", "mysql", "dynamodb"]
      rabbitmq_nodes = [local.broker_ips[0]]
      settings       = { rabbitmq_node = "1" }
    }
    broker-cluster = {
      tier           = "broker"
      secrets        = concat(local.secret_keys, ["rabbitmq_erlang_cookie"])
      hosts          = ["redis", "mysql", "dynamodb"]
      rabbitmq_nodes = local.broker_ips
      settings       = { rabbitmq_node = "2" }
    }
    redis = {
      tier           = "redis"
      secrets        = ["redis_password"]
      hosts          = []
      rabbitmq_nodes = []
      settings       = {}
    }
    mysql = {
      tier           = "mysql"
      secrets        = ["mysql_password", "mysql_root_password"]
      hosts          = []
      rabbitmq_nodes = []
      settings       = {}
    }
    dynamodb = {
      tier           = "dynamodb"
      secrets        = []
      hosts          = []
      rabbitmq_nodes = []
      settings       = {}
    }
  }

  settings = {
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
  for_each = local.cases

  tier              = each.value.tier
  name_prefix       = "ticketing"
  aws_region        = "eu-west-1"
  ecr_registries    = [{ host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com", region = "eu-west-1" }]
  images            = local.images
  secret_parameters = { for k in each.value.secrets : k => local.secret[k] }
  hosts             = { for k in each.value.hosts : k => local.host[k] }
  rabbitmq_nodes    = each.value.rabbitmq_nodes
  settings          = merge(local.settings, each.value.settings)
  app_env           = { RUST_LOG = "api=debug,info", LOG_FORMAT = "json", CONSUMER_CONCURRENCY = "4" }
}

output "rendered" {
  description = "User data script of each case."
  value       = { for name, m in module.user_data : name => m.rendered }
}
