# Secret Manager entries for the webhook signing secret and the API keys. Terraform creates
# the secrets but never their values: add a version with gcloud (docs/deploy.md), so no
# secret material lands in the Terraform state.
#
# They are not mounted into the services yet: the configuration schema
# (shared/src/config/load-config.ts) has no variable for them until the webhooks and API
# keys work lands. Mounting is then one `env { value_source { secret_key_ref { ... } } }`
# block per service plus a roles/secretmanager.secretAccessor grant on the secret (both
# already on the IAM allowlist in infra/src/checks/iam-allowlist.ts).

resource "google_secret_manager_secret" "webhook_signing_secret" {
  project   = var.project_id
  secret_id = "${var.name_prefix}-webhook-signing-secret"

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret" "api_keys" {
  project   = var.project_id
  secret_id = "${var.name_prefix}-api-keys"

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}
