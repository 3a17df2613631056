# The launcher (SCALE_MODE, in the API): starts worker-job executions or sizes the worker
# pool from the backlog. Its grants exist only in the mode that uses them, on the one job
# or pool, nothing project-wide. The backlog is the store's (Firestore, already granted),
# so nothing reads Cloud Monitoring.
#
# Each mode's role is a custom role holding exactly the permissions its Cloud Run Admin API
# calls need (infra/src/checks/launcher-permissions.ts lists the calls; the offline check
# fails when the code calls something the role lacks, or the role holds more). The roles
# exist in every mode, unbound unless used: a deleted custom role keeps its id for weeks,
# so creating it only with scale_mode would fail when the mode is switched back.

resource "google_project_iam_custom_role" "launcher_job" {
  project     = var.project_id
  role_id     = "${replace(var.name_prefix, "-", "_")}_launcher_job"
  title       = "${var.name_prefix} launcher (job mode)"
  description = "Start executions of the worker job with a task-count override, and list them."
  permissions = ["run.executions.list", "run.jobs.runWithOverrides"]
}

resource "google_project_iam_custom_role" "launcher_pool" {
  project     = var.project_id
  role_id     = "${replace(var.name_prefix, "-", "_")}_launcher_pool"
  title       = "${var.name_prefix} launcher (pool mode)"
  description = "Read and set the worker pool's manual instance count."
  permissions = ["run.workerPools.get", "run.workerPools.update"]
}

# Job mode: run this job with a task-count override, and list its executions.
resource "google_cloud_run_v2_job_iam_member" "api_runs_worker_job" {
  count    = var.scale_mode == "job" ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.worker.name
  role     = google_project_iam_custom_role.launcher_job.id
  member   = "serviceAccount:${google_service_account.api.email}"
}

# Pool mode: read and update this pool's instance count (instead of roles/run.developer,
# which would also let the API deploy new revisions of the pool).
resource "google_cloud_run_v2_worker_pool_iam_member" "api_sizes_worker_pool" {
  count    = var.scale_mode == "pool" ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_worker_pool.worker.name
  role     = google_project_iam_custom_role.launcher_pool.id
  member   = "serviceAccount:${google_service_account.api.email}"
}
