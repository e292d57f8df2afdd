output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (two zones): the load balancer and the NAT gateway."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (two zones): every instance (API, broker, Redis, MySQL, DynamoDB Local) and RDS."
  value       = aws_subnet.private[*].id
}

output "private_subnet_cidrs" {
  description = "CIDR blocks of the private subnets (fixed addresses of the data tiers and the brokers are taken from them)."
  value       = aws_subnet.private[*].cidr_block
}

output "nat_public_ip" {
  description = "Public address the private instances' outbound traffic leaves from."
  value       = aws_eip.nat.public_ip
}
