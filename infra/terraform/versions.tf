terraform {
  # Preconditions need 1.2+; 1.5+ also offers import blocks (to adopt a Firestore database).
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 7.0, < 8.0" # 7.x: Cloud Run v2 worker pools (manual scaling), GPU fields on jobs
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
