output "rendered" {
  description = "The user data script of the instance."
  value       = local.rendered

  precondition {
    condition     = length(local.rendered) <= 16384
    error_message = "The user data exceeds EC2's 16 KiB limit."
  }
}
