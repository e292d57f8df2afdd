output "api_url" {
  description = "Base URL of the (first) API instance."
  value       = "http://${module.api[0].public_ip}:8080"
}

output "api_urls" {
  description = "Base URL of every API instance."
  value       = [for api in module.api : "http://${api.public_ip}:8080"]
}

output "instances" {
  description = "Every instance by tier: id (for `aws ssm start-session --target`), private and public address."
  value = {
    api = [for api in module.api : { id = api.id, private_ip = api.private_ip, public_ip = api.public_ip }]
    broker = {
      id = module.broker.id, private_ip = module.broker.private_ip, public_ip = module.broker.public_ip
    }
    redis = {
      id = module.redis.id, private_ip = module.redis.private_ip, public_ip = module.redis.public_ip
    }
    mysql = var.use_rds ? null : {
      id = module.mysql[0].id, private_ip = module.mysql[0].private_ip, public_ip = module.mysql[0].public_ip
    }
    dynamodb = {
      id = module.dynamodb.id, private_ip = module.dynamodb.private_ip, public_ip = module.dynamodb.public_ip
    }
  }
}

output "mysql_endpoint" {
  description = "MySQL host the programs use (RDS endpoint or the MySQL instance's private address), port 3306."
  value       = local.mysql_host
}

output "nat_public_ip" {
  description = "Address the private instances reach the internet from (allow it where images are pulled from, if restricted)."
  value       = module.network.nat_public_ip
}

output "ssm_parameter_names" {
  description = "SSM parameters holding the passwords and the api's JWT secret (SecureString, KMS-encrypted)."
  value       = local.secret_names
}

output "rabbitmq_management_tunnel" {
  description = "Port forward to the RabbitMQ management UI (then open http://localhost:15672)."
  value       = "aws ssm start-session --region ${var.aws_region} --target ${module.broker.id} --document-name AWS-StartPortForwardingSession --parameters portNumber=15672,localPortNumber=15672"
}

output "jmeter_command" {
  description = "JMeter (non-GUI) against the first API instance; adjust threads and duration."
  value       = "jmeter -n -t loadtest/jmeter/ticketing.jmx -Jhost=${module.api[0].public_ip} -Jport=8080 -Jthreads=200 -Jduration=300"
}

output "loadtest_command" {
  description = "The Rust contention benchmark against the first API instance."
  value       = "target/release/loadtest --url http://${module.api[0].public_ip}:8080"
}
