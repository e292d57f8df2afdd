output "address" {
  description = "DNS name of the database endpoint (port 3306)."
  value       = aws_db_instance.this.address
}

output "identifier" {
  description = "RDS instance identifier."
  value       = aws_db_instance.this.identifier
}

output "replica_address" {
  description = "DNS name of the read replica's endpoint (port 3306), or null without one."
  value       = var.read_replica ? aws_db_instance.replica[0].address : null
}
