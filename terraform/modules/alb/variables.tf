variable "name_prefix" {
  description = "Prefix of resource names (the load balancer's and target group's names are <name_prefix>-api, at most 32 characters)."
  type        = string
}

variable "aws_region" {
  description = "Region of the deployment (part of the access log bucket's name)."
  type        = string
}

variable "account_id" {
  description = "AWS account of the deployment (the access log bucket's name and the log path)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the target group."
  type        = string
}

variable "subnet_ids" {
  description = "Public subnets, in at least two zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "An Application Load Balancer needs subnets in at least two availability zones."
  }
}

variable "security_group_ids" {
  description = "Security groups of the load balancer (the alb tier's)."
  type        = list(string)
}

variable "targets" {
  description = "API instances to balance over, by name: { \"api-1\" = \"i-0123...\" }."
  type        = map(string)
}

variable "target_port" {
  description = "Port the api listens on, on each instance (API_BIND)."
  type        = number
  default     = 8080
}

variable "health_check_path" {
  description = "Path whose 200 keeps an instance in rotation."
  type        = string
  default     = "/api/v1/ready"
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on 443 (port 80 then redirects); null for plain HTTP on 80."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Refuse deletion of the load balancer; off also lets destroy delete the access log bucket with its logs."
  type        = bool
  default     = true
}

variable "access_log_retention_days" {
  description = "Days the access logs are kept."
  type        = number
  default     = 90
}
