output "alb_dns_name" {
  description = "DNS name of the load balancer in front of the API instances (point your own name at it with a CNAME or alias record)."
  value       = module.alb.dns_name
}

output "api_url" {
  description = "Base URL of the API, through the load balancer (with alb_certificate_arn: https, to be used with the certificate's name rather than this DNS name)."
  value       = module.alb.url
}

output "alb_target_group_arn" {
  description = "Target group of the API instances: `aws elbv2 describe-target-health --target-group-arn ...` shows which are in rotation."
  value       = module.alb.target_group_arn
}

output "alb_access_log_bucket" {
  description = "S3 bucket of the load balancer's access logs."
  value       = module.alb.access_log_bucket
}

output "instances" {
  description = "Every instance by tier: id (for `aws ssm start-session --target`) and private address."
  value = {
    api    = [for api in module.api : { id = api.id, private_ip = api.private_ip }]
    broker = [for broker in module.broker : { id = broker.id, private_ip = broker.private_ip }]
    redis = {
      id = module.redis.id, private_ip = module.redis.private_ip
    }
    mysql = var.use_rds ? null : {
      id = module.mysql[0].id, private_ip = module.mysql[0].private_ip
    }
    dynamodb = {
      id = module.dynamodb.id, private_ip = module.dynamodb.private_ip
    }
  }
}

output "mysql_endpoint" {
  description = "MySQL host the programs use (RDS endpoint or the MySQL instance's private address), port 3306."
  value       = local.mysql_host
}

output "mysql_read_endpoint" {
  description = "Host of the RDS read replica the api's ticket queries use (MYSQL_READ_URL), port 3306; null without rds_read_replica."
  value       = local.mysql_read_host
}

output "nat_public_ip" {
  description = "Address the instances reach the internet from (allow it where images are pulled from, if restricted)."
  value       = module.network.nat_public_ip
}

output "ssm_parameter_names" {
  description = "SSM parameters holding the passwords, the api's JWT secret and (broker_cluster) the Erlang cookie (SecureString, KMS-encrypted)."
  value       = local.secret_names
}

output "rabbitmq_management_tunnel" {
  description = "Port forward to the RabbitMQ management UI of the (first) broker (then open http://localhost:15672)."
  value       = "aws ssm start-session --region ${var.aws_region} --target ${module.broker[0].id} --document-name AWS-StartPortForwardingSession --parameters portNumber=15672,localPortNumber=15672"
}

output "jmeter_command" {
  description = "JMeter (non-GUI) against the load balancer; adjust threads and duration."
  value       = var.alb_certificate_arn == null ? "jmeter -n -t loadtest/jmeter/ticketing.jmx -Jhost=${module.alb.dns_name} -Jport=80 -Jthreads=200 -Jduration=300" : "jmeter -n -t loadtest/jmeter/ticketing.jmx -Jhost=<the certificate's name> -Jport=443 -Jprotocol=https -Jthreads=200 -Jduration=300"
}

output "loadtest_command" {
  description = "The Rust contention benchmark against the load balancer (it wants the port, and resolves the name once: one of the load balancer's addresses); null with alb_certificate_arn (the benchmark speaks plain HTTP only)."
  value       = var.alb_certificate_arn == null ? "target/release/loadtest --url http://${module.alb.dns_name}:80" : null
}
