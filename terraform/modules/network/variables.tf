variable "name_prefix" {
  description = "Prefix of resource names."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC (/16 to /24); cut into four subnets."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be an IPv4 CIDR block."
  }
}

variable "availability_zones" {
  description = "The two availability zones of the subnets."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 2 && length(distinct(var.availability_zones)) == 2
    error_message = "availability_zones must name two different zones."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow log group (its policy must allow CloudWatch Logs)."
  type        = string
}

variable "flow_log_retention_days" {
  description = "Retention of the flow logs, in days."
  type        = number
}
