variable "name_prefix" {
  description = "Prefix of resource names."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the security groups."
  type        = string
}

variable "api_ingress_cidrs" {
  description = "CIDR blocks allowed to call the API (port 8080)."
  type        = list(string)
}

variable "ssh_ingress_cidrs" {
  description = "CIDR blocks allowed to SSH (port 22) to every tier; empty for none."
  type        = list(string)
  default     = []
}
