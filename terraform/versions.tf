terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # State holds the passwords (sensitive variables): keep it in an encrypted, access-controlled
  # backend for anything shared, e.g.
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "ticketing/terraform.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project   = var.name_prefix
      ManagedBy = "terraform"
    })
  }
}
