# Secret Manager entries for the webhook signing secret and the API keys. Terraform creates
# the secrets and who may read them, never their values: add a version with gcloud before
# the services are deployed (docs/deploy.md), so no secret material lands in the Terraform
# state. Cloud Run reads the latest version when an instance starts.
#
# - WEBHOOK_SECRETS: whsec_ secrets (space-separated for rotation) the workers sign webhook
#   calls with; loadConfig requires it on every PRODUCTION=true process, the API included.
# - API_KEYS: keys the API accepts (Authorization: Bearer <key>), space-separated.

resource "google_secret_manager_secret" "webhook_signing_secret" {
  project   = var.project_id
  secret_id = "${var.name_prefix}-webhook-secrets"

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

resource "google_secret_manager_secret_iam_member" "api_reads_api_keys" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.api_keys.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.api.email}"
}

resource "google_secret_manager_secret_iam_member" "api_reads_webhook_secrets" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.webhook_signing_secret.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.api.email}"
}

resource "google_secret_manager_secret_iam_member" "worker_reads_webhook_secrets" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.webhook_signing_secret.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.worker.email}"
}
