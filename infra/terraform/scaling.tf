# The launcher (SCALE_MODE, in the API): starts worker-job executions or sizes the worker
# pool from the backlog. Its grants exist only in the mode that uses them, on the one job
# or pool, nothing project-wide. The backlog is the store's (Firestore, already granted),
# so nothing reads Cloud Monitoring.

# Job mode: run this job with a task-count override, and list its executions.
resource "google_cloud_run_v2_job_iam_member" "api_runs_worker_job" {
  count    = var.scale_mode == "job" ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.worker.name
  role     = "roles/run.jobsExecutorWithOverrides"
  member   = "serviceAccount:${google_service_account.api.email}"
}

# Pool mode: read and update this pool's instance count. No predefined role narrower than
# run.developer carries run.workerPools.update; it is granted on the one pool only.
resource "google_cloud_run_v2_worker_pool_iam_member" "api_sizes_worker_pool" {
  count    = var.scale_mode == "pool" ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_worker_pool.worker.name
  role     = "roles/run.developer"
  member   = "serviceAccount:${google_service_account.api.email}"
}
