output "dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 zone of the load balancer (for an alias record of your own name)."
  value       = aws_lb.this.zone_id
}

output "url" {
  description = "Base URL of the API through the load balancer (https with a certificate: use the certificate's name, pointed at dns_name)."
  value       = local.https ? "https://${aws_lb.this.dns_name}" : "http://${aws_lb.this.dns_name}"
}

output "target_group_arn" {
  description = "Target group of the API instances (aws elbv2 describe-target-health)."
  value       = aws_lb_target_group.api.arn
}

output "access_log_bucket" {
  description = "S3 bucket of the access logs (under alb/AWSLogs/)."
  value       = aws_s3_bucket.access_logs.id
}
