output "ids" {
  description = "Security group id of each tier: alb, api, broker, redis, mysql, dynamodb."
  value       = { for tier, sg in aws_security_group.tier : tier => sg.id }
}
