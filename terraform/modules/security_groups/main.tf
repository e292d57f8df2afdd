# One security group per tier. Each opens only the ports that tier serves, and only to the tiers
# that call it; egress likewise goes only to the tiers it calls, plus HTTPS to the internet
# (through the NAT gateway) for packages, images and AWS APIs (SSM, ECR). The load balancer is
# the only way in from outside.
#
#   client CIDRs --80/443--> alb --8080--> api --6379--> redis     <--6379-- broker (consumers reset)
#                                           |  --5672--> broker (RabbitMQ; the consumers run beside it)
#                                           |  --3306--> mysql (EC2 or RDS, and its read replica)
#                                                                   <--3306-- broker
#                                                        dynamodb   <--8000-- broker
#   broker <--> broker (broker_cluster only): 4369 epmd, 25672 Erlang distribution, 5672 AMQP
#   SSH (22) only from var.ssh_ingress_cidrs, on every instance tier; none by default.

locals {
  tiers = {
    alb      = "Application Load Balancer in front of the API instances"
    api      = "API instances: HTTP API and outbox relay"
    broker   = "RabbitMQ and the consumers"
    redis    = "Redis: seat state and outbox"
    mysql    = "MySQL read model (EC2 or RDS)"
    dynamodb = "DynamoDB Local write model"
  }
  # Tiers of EC2 instances: SSH (if allowed) and HTTPS out. The load balancer needs neither.
  instance_tiers = { for tier, what in local.tiers : tier => what if tier != "alb" }

  # Tier-to-tier traffic: `from` calls `to` on `port`.
  internal = merge({
    alb-api         = { from = "alb", to = "api", port = 8080, what = "HTTP API (requests and health checks)" }
    api-redis       = { from = "api", to = "redis", port = 6379, what = "Redis (seat lock, outbox)" }
    api-rabbitmq    = { from = "api", to = "broker", port = 5672, what = "AMQP (outbox relay publishes)" }
    api-mysql       = { from = "api", to = "mysql", port = 3306, what = "MySQL (catalog, queries)" }
    broker-redis    = { from = "broker", to = "redis", port = 6379, what = "Redis (consumers reset only: wipes the seat state)" }
    broker-mysql    = { from = "broker", to = "mysql", port = 3306, what = "MySQL (SQL consumer)" }
    broker-dynamodb = { from = "broker", to = "dynamodb", port = 8000, what = "DynamoDB Local (NoSQL consumer)" }
    }, var.broker_cluster ? {
    # The nodes of the RabbitMQ cluster find each other through epmd and talk over the Erlang
    # distribution port; the consumers fail over to another node's AMQP port.
    broker-epmd = { from = "broker", to = "broker", port = 4369, what = "RabbitMQ peer discovery (epmd)" }
    broker-dist = { from = "broker", to = "broker", port = 25672, what = "RabbitMQ inter-node traffic (Erlang distribution)" }
    broker-amqp = { from = "broker", to = "broker", port = 5672, what = "AMQP (consumers failing over to another node)" }
  } : {})

  clients = { for pair in setproduct(var.api_ingress_cidrs, var.alb_listener_ports) : "${pair[0]}-${pair[1]}" => { cidr = pair[0], port = pair[1] } }

  ssh = { for pair in setproduct(keys(local.instance_tiers), var.ssh_ingress_cidrs) : "${pair[0]}-${pair[1]}" => { tier = pair[0], cidr = pair[1] } }
}

resource "aws_security_group" "tier" {
  #checkov:skip=CKV2_AWS_5:Attached in the root module (main.tf) to the load balancer, the instances and RDS through the `ids` output; checkov's graph does not follow a for_each map through module outputs.
  for_each = local.tiers

  name        = "${var.name_prefix}-${each.key}"
  description = "${var.name_prefix} ${each.value}"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name_prefix}-${each.key}", Tier = each.key }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "internal" {
  for_each = local.internal

  security_group_id            = aws_security_group.tier[each.value.to].id
  referenced_security_group_id = aws_security_group.tier[each.value.from].id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  description                  = "${each.value.what} from ${each.value.from}"
}

resource "aws_vpc_security_group_egress_rule" "internal" {
  for_each = local.internal

  security_group_id            = aws_security_group.tier[each.value.from].id
  referenced_security_group_id = aws_security_group.tier[each.value.to].id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  description                  = "${each.value.what} to ${each.value.to}"
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each = local.clients

  security_group_id = aws_security_group.tier["alb"].id
  cidr_ipv4         = each.value.cidr
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  description       = "HTTP(S) API from an allowed client network"
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each = local.ssh

  security_group_id = aws_security_group.tier[each.value.tier].id
  cidr_ipv4         = each.value.cidr
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  description       = "SSH from an administration network"
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = local.instance_tiers

  security_group_id = aws_security_group.tier[each.key].id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "HTTPS out: OS packages, container images, AWS APIs (SSM, ECR)"
}
