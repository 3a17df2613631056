# Where Cloud Build pushes the api, worker and worker-gpu images (infra/cloudbuild.yaml).
resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = var.artifact_repository_id
  description   = "warmgen container images"
  format        = "DOCKER"

  # Old untagged images pile up with every build; keep the ten most recent versions.
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }
  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"
    condition {
      tag_state = "UNTAGGED"
    }
  }

  depends_on = [google_project_service.apis]
}
