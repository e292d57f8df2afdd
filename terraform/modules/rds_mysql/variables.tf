variable "name_prefix" {
  description = "Prefix of resource names."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets in at least two zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "RDS needs subnets in at least two availability zones."
  }
}

variable "security_group_ids" {
  description = "Security groups of the database (the mysql tier's)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key for storage and Performance Insights."
  type        = string
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB (autoscaling up to twice that)."
  type        = number
}

variable "database" {
  description = "Database created with the instance."
  type        = string
}

variable "username" {
  description = "Master user (also the user of the programs)."
  type        = string
}

variable "password" {
  description = "Master password."
  type        = string
  sensitive   = true
}

variable "multi_az" {
  description = "Multi-AZ deployment."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups."
  type        = number
  default     = 7
}

variable "deletion_protection" {
  description = "Refuse deletion."
  type        = bool
  default     = true
}

variable "read_replica" {
  description = "Also create a read replica of the instance."
  type        = bool
  default     = false
}
