variable "name_prefix" {
  description = "Prefix of resource names."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the security groups."
  type        = string
}

variable "api_ingress_cidrs" {
  description = "CIDR blocks allowed to reach the load balancer's listeners."
  type        = list(string)
}

variable "alb_listener_ports" {
  description = "Ports the load balancer listens on (80; 443 too with a certificate)."
  type        = list(number)
  default     = [80]
}

variable "broker_cluster" {
  description = "true: the broker instances form a RabbitMQ cluster, and talk to each other."
  type        = bool
  default     = false
}

variable "ssh_ingress_cidrs" {
  description = "CIDR blocks allowed to SSH (port 22) to every instance tier; empty for none."
  type        = list(string)
  default     = []
}
