# The worker as a Cloud Run worker pool: worker_pool_instances long-lived workers that keep
# GPT-2 warm and pull forever (WORKER_MODE=long-lived). A worker pool has no URL and no
# built-in autoscaling: change worker_pool_instances (or
# `gcloud run worker-pools update --instances N`) to scale; GPU instances bill while running.
resource "google_cloud_run_v2_worker_pool" "worker" {
  project             = var.project_id
  name                = "${var.name_prefix}-worker"
  location            = var.region
  deletion_protection = var.deletion_protection

  scaling {
    scaling_mode          = "MANUAL"
    manual_instance_count = var.worker_pool_instances
  }

  template {
    service_account = google_service_account.worker.email

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
        value = "long-lived"
      }
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
