# The worker as a Cloud Run job: each task hydrates the model, pulls until the queue has
# been empty for worker_job_drain_idle_seconds (WORKER_MODE=drain), then exits 0. Start
# executions on demand (gcloud run jobs execute) or on a schedule (scheduler.tf).
resource "google_cloud_run_v2_job" "worker" {
  project             = var.project_id
  name                = "${var.name_prefix}-worker"
  location            = var.region
  deletion_protection = var.deletion_protection

  template {
    task_count  = var.worker_job_task_count
    parallelism = var.worker_job_parallelism

    template {
      service_account = google_service_account.worker.email
      timeout         = "${var.worker_job_timeout_seconds}s"
      max_retries     = var.worker_job_max_retries

      gpu_zonal_redundancy_disabled = var.worker_gpu ? !var.worker_gpu_zonal_redundancy : null

      dynamic "node_selector" {
        for_each = var.worker_gpu ? ["nvidia-l4"] : []
        content {
          accelerator = node_selector.value
        }
      }

      containers {
        image = local.worker_image

        resources {
          limits = local.worker_limits
        }

        dynamic "env" {
          for_each = local.common_env
          content {
            name  = env.key
            value = env.value
          }
        }

        dynamic "env" {
          for_each = local.worker_env
          content {
            name  = env.key
            value = env.value
          }
        }

        env {
          name = "WEBHOOK_SECRETS"
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.webhook_signing_secret.secret_id
              version = "latest"
            }
          }
        }

        env {
          name  = "WORKER_MODE"
          value = "drain"
        }

        env {
          name  = "IDLE_EXIT_SECONDS"
          value = tostring(var.worker_job_drain_idle_seconds)
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.worker_job_parallelism <= var.worker_job_task_count
      error_message = "worker_job_parallelism must not exceed worker_job_task_count."
    }
    precondition {
      condition     = !var.worker_gpu || var.worker_job_timeout_seconds <= 3600
      error_message = "Cloud Run GPU job tasks may run at most 1 hour: lower worker_job_timeout_seconds."
    }
  }

  depends_on = [
    google_project_iam_member.worker_firestore,
    google_pubsub_subscription_iam_member.worker_pulls_jobs,
    google_pubsub_subscription_iam_member.worker_pulls_dead_letters,
    google_storage_bucket_iam_member.worker_reads_models,
    google_secret_manager_secret_iam_member.worker_reads_webhook_secrets,
  ]
}
