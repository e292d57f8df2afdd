# ---------------------------------------------------------------------------------------------
# Where and what
# ---------------------------------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region to deploy into, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like eu-west-1 or us-gov-west-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name and of the SSM parameter path (/<name_prefix>/...)."
  type        = string
  default     = "ticketing"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix: 3-24 characters, lower-case letters, digits and '-', starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource (Project and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------
# Network and access
# ---------------------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR block of the new VPC (a /16 to /24); split into two public and two private subnets."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be an IPv4 CIDR block between /16 and /24."
  }
}

variable "availability_zones" {
  description = "Two availability zones of aws_region for the subnets, e.g. [\"eu-west-1a\", \"eu-west-1b\"]. The data tiers go to the first; the load balancer, the API instances, a broker cluster and RDS (Multi-AZ) use both."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 2 && length(distinct(var.availability_zones)) == 2 && alltrue([for az in var.availability_zones : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z]$", az))])
    error_message = "availability_zones must name two different zones such as eu-west-1a and eu-west-1b."
  }
}

variable "api_ingress_cidrs" {
  description = "CIDR blocks allowed to call the API through the load balancer, on port 80 (HTTP; with alb_certificate_arn it redirects to HTTPS) and 443 (HTTPS, with alb_certificate_arn): e.g. your office, the JMeter load generators, or 0.0.0.0/0 for a public sale. The API instances themselves admit only the load balancer."
  type        = list(string)

  validation {
    condition     = length(var.api_ingress_cidrs) > 0 && alltrue([for c in var.api_ingress_cidrs : can(cidrhost(c, 0))])
    error_message = "api_ingress_cidrs must list at least one valid IPv4 CIDR block, e.g. [\"203.0.113.10/32\"]."
  }
}

variable "ssh_ingress_cidrs" {
  description = "CIDR blocks allowed to SSH (port 22) to the instances. Empty (default): no SSH at all; use SSM Session Manager instead. No instance has a public address: SSH needs a route into the VPC (VPN, peering, a bastion)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.ssh_ingress_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "ssh_ingress_cidrs must be valid IPv4 CIDR blocks, and not 0.0.0.0/0."
  }
}

variable "ssh_key_name" {
  description = "Name of an existing EC2 key pair for SSH; null (default) for none (SSM Session Manager needs no key)."
  type        = string
  default     = null
}

variable "enable_ssm_session_manager" {
  description = "Give every instance the AmazonSSMManagedInstanceCore policy so that `aws ssm start-session` (shell and port forwarding) works without SSH."
  type        = bool
  default     = true
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow logs in CloudWatch Logs, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ..., 365, 400, 545, 731, ...)."
  }
}

# ---------------------------------------------------------------------------------------------
# Instances (one per data tier; API instances and optionally three brokers)
# ---------------------------------------------------------------------------------------------

variable "ami_id" {
  description = "AMI for every instance; null (default) for the latest Amazon Linux 2023 x86_64 (the user data uses dnf). Instances ignore later AMI changes, so an apply never replaces a data tier by surprise."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be null or an AMI id such as ami-0123456789abcdef0."
  }
}

variable "api_instance_count" {
  description = "Number of API instances behind the load balancer, spread over both zones (each with its own relay consumer name, relay-api-N, all relaying from the same Redis; a dead one's pending outbox entries are taken over by the others)."
  type        = number
  default     = 2

  validation {
    condition     = var.api_instance_count >= 1 && var.api_instance_count <= 10 && floor(var.api_instance_count) == var.api_instance_count
    error_message = "api_instance_count must be a whole number from 1 to 10."
  }
}

variable "api_instance_type" {
  description = "EC2 instance type of the API instance(s)."
  type        = string
  default     = "c7i.xlarge"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.api_instance_type))
    error_message = "api_instance_type must be an instance type such as c7i.xlarge."
  }
}

variable "broker_instance_type" {
  description = "EC2 instance type of the RabbitMQ + consumers instance(s)."
  type        = string
  default     = "m7i.large"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.broker_instance_type))
    error_message = "broker_instance_type must be an instance type such as m7i.large."
  }
}

variable "redis_instance_type" {
  description = "EC2 instance type of the Redis instance (seat state and outbox: memory-bound)."
  type        = string
  default     = "r7i.large"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.redis_instance_type))
    error_message = "redis_instance_type must be an instance type such as r7i.large."
  }
}

variable "dynamodb_instance_type" {
  description = "EC2 instance type of the DynamoDB Local instance (a JVM)."
  type        = string
  default     = "m7i.large"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.dynamodb_instance_type))
    error_message = "dynamodb_instance_type must be an instance type such as m7i.large."
  }
}

variable "mysql_instance_type" {
  description = "EC2 instance type of the MySQL instance (not created when use_rds = true)."
  type        = string
  default     = "m7i.large"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.mysql_instance_type))
    error_message = "mysql_instance_type must be an instance type such as m7i.large."
  }
}

variable "app_root_volume_gb" {
  description = "Root volume size (GiB, gp3, encrypted) of the API and broker instances."
  type        = number
  default     = 30

  validation {
    condition     = var.app_root_volume_gb >= 20 && var.app_root_volume_gb <= 1000
    error_message = "app_root_volume_gb must be between 20 and 1000."
  }
}

variable "data_root_volume_gb" {
  description = "Root volume size (GiB, gp3, encrypted) of the Redis, MySQL and DynamoDB Local instances; their data lives on it under /var/lib/ticketing."
  type        = number
  default     = 100

  validation {
    condition     = var.data_root_volume_gb >= 20 && var.data_root_volume_gb <= 4000
    error_message = "data_root_volume_gb must be between 20 and 4000."
  }
}

# ---------------------------------------------------------------------------------------------
# Load balancer (Application Load Balancer in front of the API instances)
# ---------------------------------------------------------------------------------------------

variable "alb_certificate_arn" {
  description = "ACM certificate of the name buyers will use (e.g. tickets.example.com, pointed at alb_dns_name by a CNAME or alias record): HTTPS on 443 with TLS 1.2 or later, and port 80 redirects to it. null (default): plain HTTP on port 80, for load tests from api_ingress_cidrs (the Rust loadtest speaks HTTP only)."
  type        = string
  default     = null

  validation {
    condition     = var.alb_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.alb_certificate_arn))
    error_message = "alb_certificate_arn must be null or an ACM certificate ARN."
  }
}

variable "alb_deletion_protection" {
  description = "Refuse to delete the load balancer (set false and apply before `terraform destroy`; that also lets destroy empty and delete the access log bucket)."
  type        = bool
  default     = true
}

variable "alb_access_log_retention_days" {
  description = "Days the load balancer's access logs are kept in their S3 bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.alb_access_log_retention_days >= 1 && var.alb_access_log_retention_days <= 3650 && floor(var.alb_access_log_retention_days) == var.alb_access_log_retention_days
    error_message = "alb_access_log_retention_days must be a whole number from 1 to 3650."
  }
}

# ---------------------------------------------------------------------------------------------
# Optional: a RabbitMQ cluster instead of one broker
# ---------------------------------------------------------------------------------------------

variable "broker_cluster" {
  description = "true: three broker instances (over both zones) whose RabbitMQ nodes form one cluster; the quorum queues are replicated on all three and survive the loss of one node. Each runs mysql_consumer_count and dynamodb_consumer_count consumers, and every program is given all three nodes (AMQP_URL). Needs rabbitmq_erlang_cookie. Turning it on for an existing deployment replaces the broker (docs/deployment.md)."
  type        = bool
  default     = false
}

variable "rabbitmq_erlang_cookie" {
  description = "Shared secret of the RabbitMQ cluster's nodes (Erlang cookie), e.g. `openssl rand -hex 32`; required with broker_cluster = true, unused otherwise."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.rabbitmq_erlang_cookie == null || can(regex("^[A-Za-z0-9]{32,255}$", var.rabbitmq_erlang_cookie))
    error_message = "rabbitmq_erlang_cookie: null or 32-255 letters and digits."
  }
}

# ---------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------

variable "api_image" {
  description = "Image of the api (`docker build --target api`, from the Dockerfile at the repository root), e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ticketing-api:1.0.0. ECR images are pulled with the instance role."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-zA-Z0-9./_:@-]+$", var.api_image))
    error_message = "api_image must be an image reference such as registry/ticketing-api:1.0.0."
  }
}

variable "consumers_image" {
  description = "Image of the consumers (`docker build --target consumers`, from the Dockerfile at the repository root), e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ticketing-consumers:1.0.0."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-zA-Z0-9./_:@-]+$", var.consumers_image))
    error_message = "consumers_image must be an image reference such as registry/ticketing-consumers:1.0.0."
  }
}

variable "redis_image" {
  description = "Redis image (>= 7: the seat lock script needs it)."
  type        = string
  default     = "redis:7.4"

  validation {
    condition     = can(regex("^[a-z0-9][a-zA-Z0-9./_:@-]+$", var.redis_image))
    error_message = "redis_image must be an image reference."
  }
}

variable "rabbitmq_image" {
  description = "RabbitMQ image with the management plugin (>= 3.10: quorum queues with at-least-once dead-lettering)."
  type        = string
  default     = "rabbitmq:3.13-management"

  validation {
    condition     = can(regex("^[a-z0-9][a-zA-Z0-9./_:@-]+$", var.rabbitmq_image))
    error_message = "rabbitmq_image must be an image reference."
  }
}

variable "mysql_image" {
  description = "MySQL 8 image (when use_rds = false)."
  type        = string
  default     = "mysql:8.4"

  validation {
    condition     = can(regex("^[a-z0-9][a-zA-Z0-9./_:@-]+$", var.mysql_image))
    error_message = "mysql_image must be an image reference."
  }
}

variable "dynamodb_image" {
  description = "DynamoDB Local image."
  type        = string
  default     = "amazon/dynamodb-local:2.6.0"

  validation {
    condition     = can(regex("^[a-z0-9][a-zA-Z0-9./_:@-]+$", var.dynamodb_image))
    error_message = "dynamodb_image must be an image reference."
  }
}

# ---------------------------------------------------------------------------------------------
# Credentials: sensitive, no defaults. Stored as SecureString SSM parameters (KMS); the
# instances read only the ones they need at boot, so they never appear in user data.
# Letters, digits, '-' and '_' only: the passwords go into connection URLs, and the same rule
# keeps jwt_secret safe in the api's env file.
# ---------------------------------------------------------------------------------------------

variable "redis_password" {
  description = "Redis password (requirepass)."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{16,128}$", var.redis_password))
    error_message = "redis_password: 16-128 characters, letters, digits, '-' and '_' only."
  }
}

variable "rabbitmq_user" {
  description = "RabbitMQ user of the api and the consumers."
  type        = string
  default     = "ticketing"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{2,31}$", var.rabbitmq_user))
    error_message = "rabbitmq_user: 3-32 characters, letters, digits, '-' and '_', starting with a letter."
  }
}

variable "rabbitmq_password" {
  description = "Password of rabbitmq_user."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{16,128}$", var.rabbitmq_password))
    error_message = "rabbitmq_password: 16-128 characters, letters, digits, '-' and '_' only."
  }
}

variable "mysql_user" {
  description = "MySQL user of the api and the consumers (with RDS: the master user)."
  type        = string
  default     = "ticketing"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9]{2,15}$", var.mysql_user)) && lower(var.mysql_user) != "root" && lower(var.mysql_user) != "admin"
    error_message = "mysql_user: 3-16 letters and digits, starting with a letter (RDS master user rules); not root or admin."
  }
}

variable "mysql_password" {
  description = "Password of mysql_user."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{16,41}$", var.mysql_password))
    error_message = "mysql_password: 16-41 characters, letters, digits, '-' and '_' only."
  }
}

variable "mysql_root_password" {
  description = "MySQL root password of the EC2 MySQL (unused with use_rds = true, where mysql_user is the master user)."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{16,128}$", var.mysql_root_password))
    error_message = "mysql_root_password: 16-128 characters, letters, digits, '-' and '_' only."
  }
}

variable "jwt_secret" {
  description = "Key the api signs its users' tokens with (HS256), e.g. `openssl rand -hex 32`. Every api instance reads the same one; changing it signs every user out."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{32,512}$", var.jwt_secret))
    error_message = "jwt_secret: 32-512 characters (the api wants at least 32 bytes), letters, digits, '-' and '_' only."
  }
}

variable "mysql_database" {
  description = "Database of the read model (created at start if missing)."
  type        = string
  default     = "ticketing"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,63}$", var.mysql_database))
    error_message = "mysql_database: letters, digits and '_', starting with a letter, at most 64 characters."
  }
}

# ---------------------------------------------------------------------------------------------
# Program settings (README "Configuration")
# ---------------------------------------------------------------------------------------------

variable "app_settings" {
  description = "Extra environment variables for the api and the consumers (README \"Configuration\"), e.g. { RELAY_BATCH_SIZE = \"1000\", CONSUMER_CONCURRENCY = \"4\", LOG_FORMAT = \"json\" }. The api's tuning variables (JWT_TTL_SECS, API_REQUIRE_AUTH, HOLD_TTL_SECS, HOLD_MAX_SEATS, PAYMENT_LATENCY_MS) go here too. Connection settings (REDIS_URL, REDIS_CLUSTER_NODES, AMQP_URL, MYSQL_URL, MYSQL_READ_URL, DYNAMODB_ENDPOINT, API_BIND, RELAY_CONSUMER) are set by this configuration and cannot be overridden here, nor can JWT_SECRET (set jwt_secret: a value here would be written into the user data)."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([for k, v in var.app_settings :
      can(regex("^[A-Z][A-Z0-9_]*$", k)) && can(regex("^[^$`\\\\\"'\n\r]*$", v)) &&
      !contains(["REDIS_URL", "REDIS_CLUSTER_NODES", "AMQP_URL", "MYSQL_URL", "MYSQL_READ_URL", "DYNAMODB_ENDPOINT", "API_BIND", "RELAY_CONSUMER", "KAFKA_BOOTSTRAP", "JWT_SECRET"], k)
    ])
    error_message = "app_settings keys must be upper-case environment variable names other than the connection settings and JWT_SECRET (set jwt_secret); values must be single lines without $, `, \\ or quotes."
  }
}

variable "mysql_consumer_count" {
  description = "Number of `consumers mysql` containers on each broker instance (competing consumers of tickets.mysql)."
  type        = number
  default     = 1

  validation {
    condition     = var.mysql_consumer_count >= 1 && var.mysql_consumer_count <= 8 && floor(var.mysql_consumer_count) == var.mysql_consumer_count
    error_message = "mysql_consumer_count must be a whole number from 1 to 8."
  }
}

variable "dynamodb_consumer_count" {
  description = "Number of `consumers dynamodb` containers on each broker instance (competing consumers of tickets.dynamodb)."
  type        = number
  default     = 1

  validation {
    condition     = var.dynamodb_consumer_count >= 1 && var.dynamodb_consumer_count <= 8 && floor(var.dynamodb_consumer_count) == var.dynamodb_consumer_count
    error_message = "dynamodb_consumer_count must be a whole number from 1 to 8."
  }
}

variable "kafka_bootstrap" {
  description = "Optional Kafka-compatible bootstrap address (host:port[,host:port]) for the replay topic, e.g. an MSK cluster reachable from the VPC; empty (default) disables it. Open the route/security group to it yourself."
  type        = string
  default     = ""

  validation {
    condition     = var.kafka_bootstrap == "" || can(regex("^[A-Za-z0-9.-]+:[0-9]+(,[A-Za-z0-9.-]+:[0-9]+)*$", var.kafka_bootstrap))
    error_message = "kafka_bootstrap must be empty or host:port[,host:port...]."
  }
}

# ---------------------------------------------------------------------------------------------
# Optional: Amazon RDS for MySQL instead of the MySQL instance
# ---------------------------------------------------------------------------------------------

variable "use_rds" {
  description = "true: use Amazon RDS for MySQL 8.4 instead of MySQL in Docker on EC2."
  type        = bool
  default     = false
}

variable "rds_instance_class" {
  description = "RDS instance class (use_rds = true)."
  type        = string
  default     = "db.m7g.large"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.rds_instance_class))
    error_message = "rds_instance_class must look like db.m7g.large."
  }
}

variable "rds_allocated_storage_gb" {
  description = "RDS storage (GiB, gp3, encrypted)."
  type        = number
  default     = 100

  validation {
    condition     = var.rds_allocated_storage_gb >= 20 && var.rds_allocated_storage_gb <= 65536
    error_message = "rds_allocated_storage_gb must be between 20 and 65536."
  }
}

variable "rds_multi_az" {
  description = "Run RDS as Multi-AZ (a standby in a second zone)."
  type        = bool
  default     = true
}

variable "rds_backup_retention_days" {
  description = "Days of automated RDS backups (point-in-time recovery window)."
  type        = number
  default     = 7

  validation {
    condition     = var.rds_backup_retention_days >= 1 && var.rds_backup_retention_days <= 35
    error_message = "rds_backup_retention_days must be between 1 and 35."
  }
}

variable "rds_deletion_protection" {
  description = "Refuse to delete the RDS instance (set false before `terraform destroy`)."
  type        = bool
  default     = true
}

variable "rds_read_replica" {
  description = "true (with use_rds = true): an RDS read replica of the database, same class, storage and Multi-AZ setting; the api's ticket queries read there (MYSQL_READ_URL), everything else stays on the primary. /api/v1/ready reports its lag (mysqlReplica) but never fails for it."
  type        = bool
  default     = false
}
