terraform {
  # 1.5+: import blocks, used to adopt an existing Firestore database (docs/deploy.md).
  required_version = ">= 1.5"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 7.x has the Cloud Run v2 worker pool (with manual scaling) and GPU fields on jobs.
      version = ">= 7.0, < 8.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
  # Labels on every resource that takes them, for the billing breakdown.
  default_labels = var.labels
}

# The project number names the Google-managed service agents (Pub/Sub's, for dead letters).
data "google_project" "this" {
  project_id = var.project_id
}
