# One identity per workload, each granted only what it uses (iam.tf; the offline check in
# infra/src/checks/check-iam-roles.ts holds every grant to an allowlist per account).

resource "google_service_account" "api" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-api"
  display_name = "warmgen API (Cloud Run service)"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "worker" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-worker"
  display_name = "warmgen worker (Cloud Run job and worker pool)"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "warmgen Cloud Scheduler: starts worker job executions"
  depends_on   = [google_project_service.apis]
}

locals {
  # Google's own Pub/Sub service agent: it forwards dead letters, so it must be able to
  # publish to the dead-letter topics and to acknowledge on the source subscriptions.
  pubsub_service_agent = "service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}
