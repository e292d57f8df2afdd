# Renders the user data of one instance: templates/common.sh.tftpl (Docker, helpers, registry
# login) followed by templates/<tier>.sh.tftpl. No resources and no provider: the offline checks
# (scripts/check-deploy.sh) render every tier through this module and lint the scripts.
#
# Secrets (passwords, the api's JWT key) never appear here: the templates name SSM parameters,
# which the instance reads with its role at boot.

locals {
  template_vars = {
    tier           = var.tier
    name_prefix    = var.name_prefix
    region         = var.aws_region
    ecr_registries = var.ecr_registries
    images         = var.images
    secrets        = var.secret_parameters
    hosts          = var.hosts
    rabbitmq_nodes = var.rabbitmq_nodes
    settings       = var.settings
    env            = var.app_env
  }

  rendered = join("", [
    templatefile("${path.module}/templates/common.sh.tftpl", local.template_vars),
    templatefile("${path.module}/templates/${var.tier}.sh.tftpl", local.template_vars),
  ])
}
