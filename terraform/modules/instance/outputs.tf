output "id" {
  description = "Instance id (for `aws ssm start-session --target`)."
  value       = aws_instance.this.id
}

output "private_ip" {
  description = "Private address, which the other tiers connect to."
  value       = aws_instance.this.private_ip
}

output "public_ip" {
  description = "Elastic IP of a public instance, or null."
  value       = var.public ? aws_eip.this[0].public_ip : null
}

output "role_name" {
  description = "Name of the instance's IAM role (attach more policies to it, e.g. for real DynamoDB)."
  value       = aws_iam_role.this.name
}
