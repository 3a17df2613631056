# The model bucket: workers hydrate MODEL_URI = gs://<bucket>/<model_prefix> from it once
# per instance. Uniform access (IAM only, no ACLs), never public, versioned so an
# overwritten or deleted model file can be restored; old versions expire.
resource "google_storage_bucket" "models" {
  project                     = var.project_id
  name                        = local.model_bucket_name
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

# Batch input files uploaded through /openai/v1/files (OPENAI_FILES_URI). Only the API
# reads and writes them; they hold users' prompts, so they are kept no longer than a
# batch can need them: OpenAI's 24 h window, plus a margin for downloads and retries.
resource "google_storage_bucket" "files" {
  project                     = var.project_id
  name                        = local.files_bucket_name
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection

  lifecycle_rule {
    condition {
      age = var.files_retention_days
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}
