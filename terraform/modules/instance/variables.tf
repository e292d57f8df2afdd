variable "name" {
  description = "Name of the instance (also of its IAM role and instance profile)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be a valid IAM role name (at most 64 characters)."
  }
}

variable "tier" {
  description = "Tier of the instance: api, broker, redis, mysql or dynamodb (the Tier tag)."
  type        = string

  validation {
    condition     = contains(["api", "broker", "redis", "mysql", "dynamodb"], var.tier)
    error_message = "tier must be one of api, broker, redis, mysql, dynamodb."
  }
}

variable "aws_region" {
  description = "Region of the instance (scopes the KMS permission to SSM of this region)."
  type        = string
}

variable "ami_id" {
  description = "AMI of the instance (Amazon Linux 2023 for the bundled user data)."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type."
  type        = string
}

variable "subnet_id" {
  description = "Subnet to launch in."
  type        = string
}

variable "security_group_ids" {
  description = "Security groups of the instance."
  type        = list(string)
}

variable "private_ip" {
  description = "Fixed private address in the subnet, or null for any. The private tiers get fixed ones, so that a replaced instance keeps the address the others are wired to."
  type        = string
  default     = null
}

variable "public" {
  description = "true: public address and an Elastic IP (an instance in a public subnet)."
  type        = bool
  default     = false
}

variable "key_name" {
  description = "EC2 key pair for SSH, or null."
  type        = string
  default     = null
}

variable "root_volume_gb" {
  description = "Size of the encrypted gp3 root volume, GiB."
  type        = number
}

variable "keep_root_volume" {
  description = "Keep the root volume when the instance is terminated (data tiers)."
  type        = bool
  default     = false
}

variable "user_data" {
  description = "User data script (rendered by modules/user_data)."
  type        = string
}

variable "replace_on_user_data_change" {
  description = "Replace the instance when its user data changes (stateless tiers, e.g. a new api image); otherwise changes are ignored until an explicit -replace."
  type        = bool
  default     = false
}

variable "ssm_parameter_arns" {
  description = "SSM parameters (SecureString) the instance may read at boot."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key of the SSM parameters."
  type        = string
  default     = null
}

variable "ecr_repository_arns" {
  description = "ECR repositories the instance may pull from (empty when the images come from elsewhere)."
  type        = list(string)
  default     = []
}

variable "enable_ssm_session_manager" {
  description = "Attach AmazonSSMManagedInstanceCore (Session Manager shell and port forwarding)."
  type        = bool
  default     = true
}
