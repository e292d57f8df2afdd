variable "tier" {
  description = "Which script: api, broker (RabbitMQ + consumers), redis, mysql or dynamodb."
  type        = string

  validation {
    condition     = contains(["api", "broker", "redis", "mysql", "dynamodb"], var.tier)
    error_message = "tier must be one of api, broker, redis, mysql, dynamodb."
  }
}

variable "name_prefix" {
  description = "Deployment name (comments and log lines)."
  type        = string
}

variable "aws_region" {
  description = "Region of the SSM parameters."
  type        = string
}

variable "ecr_registries" {
  description = "ECR registries to log in to before pulling: [{ host = \"123456789012.dkr.ecr.eu-west-1.amazonaws.com\", region = \"eu-west-1\" }]."
  type = list(object({
    host   = string
    region = string
  }))
  default = []
}

variable "images" {
  description = "Images the tier runs, by role: api, consumers, redis, rabbitmq, mysql, dynamodb (only the tier's own are used)."
  type        = map(string)

  validation {
    condition     = alltrue([for image in values(var.images) : can(regex("^[a-z0-9][a-zA-Z0-9./_:@-]+$", image))])
    error_message = "Every image must be a plain image reference (no spaces or quotes)."
  }
}

variable "secret_parameters" {
  description = "SSM parameter names of the secrets the tier needs, by key: redis_password, rabbitmq_password, mysql_password, mysql_root_password, jwt_secret (the api's), rabbitmq_erlang_cookie (a broker of a cluster)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in values(var.secret_parameters) : can(regex("^/[A-Za-z0-9_./-]+$", name))])
    error_message = "Parameter names must be paths such as /ticketing/redis_password."
  }
}

variable "hosts" {
  description = "Addresses of the tiers this one calls, by key: redis, mysql, mysql_read (the api's read replica, optional), dynamodb."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for host in values(var.hosts) : can(regex("^[A-Za-z0-9.-]+$", host))])
    error_message = "Hosts must be plain addresses or DNS names."
  }
}

variable "rabbitmq_nodes" {
  description = "Addresses of the RabbitMQ nodes (api, broker): one, or every node of a cluster. The api tries them in this order; a broker is node settings.rabbitmq_node of them."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for host in var.rabbitmq_nodes : can(regex("^[A-Za-z0-9.-]+$", host))])
    error_message = "RabbitMQ nodes must be plain addresses or DNS names."
  }
}

variable "settings" {
  description = "Other template values, by key: relay_consumer, rabbitmq_user, rabbitmq_node (a broker's number, from 1, in rabbitmq_nodes), mysql_user, mysql_database, kafka_bootstrap, mysql_consumer_count, dynamodb_consumer_count."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for value in values(var.settings) : can(regex("^[A-Za-z0-9_.,:-]*$", value))])
    error_message = "Settings must be plain words (letters, digits, '_', '.', ',', ':', '-')."
  }
}

variable "app_env" {
  description = "Extra environment of the api / consumers containers (README \"Configuration\")."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name, value in var.app_env : can(regex("^[A-Z][A-Z0-9_]*$", name)) && can(regex("^[^$`\\\\\"'\n\r]*$", value))])
    error_message = "app_env: upper-case names; values on one line without $, `, \\ or quotes."
  }
}
