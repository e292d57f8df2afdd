output "address" {
  description = "DNS name of the database endpoint (port 3306)."
  value       = aws_db_instance.this.address
}

output "identifier" {
  description = "RDS instance identifier."
  value       = aws_db_instance.this.identifier
}
