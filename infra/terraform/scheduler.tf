# Optional: start an execution of the worker job on a cron schedule (worker_job_schedule).
# Cloud Scheduler calls the Cloud Run Admin API's jobs.run with an OAuth token of the
# scheduler service account, which may run this one job and nothing else.
resource "google_cloud_scheduler_job" "worker" {
  count            = var.worker_job_schedule == "" ? 0 : 1
  project          = var.project_id
  region           = var.region
  name             = "${var.name_prefix}-worker"
  description      = "Starts an execution of the warmgen worker job"
  schedule         = var.worker_job_schedule
  time_zone        = var.worker_job_schedule_time_zone
  attempt_deadline = "30s"

  retry_config {
    retry_count = 3
  }

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/projects/${var.project_id}/locations/${var.region}/jobs/${google_cloud_run_v2_job.worker.name}:run"

    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [google_cloud_run_v2_job_iam_member.scheduler_runs_worker_job]
}
