# Every grant is on the narrowest resource that allows it. Firestore has no per-collection
# IAM, so datastore.user is granted on the project.

# --- API: writes jobs, publishes them -------------------------------------------------
resource "google_project_iam_member" "api_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.api.email}"
}

resource "google_pubsub_topic_iam_member" "api_publishes_jobs" {
  project = var.project_id
  topic   = google_pubsub_topic.jobs.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.api.email}"
}

# Live output: each API process makes its own subscription to the stream topic at start,
# reads it and deletes it at stop. Attaching to the topic is subscriber on the topic; making,
# reading and deleting subscriptions is a project permission, so a role with only those,
# limited by a condition to subscriptions named with the API's prefix.
resource "google_pubsub_topic_iam_member" "api_subscribes_stream" {
  project = var.project_id
  topic   = google_pubsub_topic.stream.name
  role    = "roles/pubsub.subscriber"
  member  = "serviceAccount:${google_service_account.api.email}"
}

resource "google_project_iam_custom_role" "stream_subscriptions" {
  project = var.project_id
  role_id = "${replace(var.name_prefix, "-", "_")}_stream_subscriptions"
  title   = "warmgen API: its own live-output subscriptions"
  permissions = [
    "pubsub.subscriptions.create",
    "pubsub.subscriptions.consume",
    "pubsub.subscriptions.delete",
    "pubsub.subscriptions.get",
  ]
}

resource "google_project_iam_member" "api_stream_subscriptions" {
  project = var.project_id
  role    = google_project_iam_custom_role.stream_subscriptions.id
  member  = "serviceAccount:${google_service_account.api.email}"
  condition {
    title      = "live-output subscriptions only"
    expression = "resource.name.startsWith(\"projects/${var.project_id}/subscriptions/${var.name_prefix}-stream-api-\")"
  }
}

# --- Worker: pulls jobs and dead letters, writes results, reads the model --------------
resource "google_project_iam_member" "worker_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.worker.email}"
}

resource "google_pubsub_subscription_iam_member" "worker_pulls_jobs" {
  project      = var.project_id
  subscription = google_pubsub_subscription.jobs.name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${google_service_account.worker.email}"
}

resource "google_pubsub_subscription_iam_member" "worker_pulls_dead_letters" {
  project      = var.project_id
  subscription = google_pubsub_subscription.jobs_dead_letter.name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${google_service_account.worker.email}"
}

# Live output: the worker publishes running jobs' text to the stream topic.
resource "google_pubsub_topic_iam_member" "worker_publishes_stream" {
  project = var.project_id
  topic   = google_pubsub_topic.stream.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.worker.email}"
}

# Webhook callbacks: the worker queues them when a job ends and delivers them.
resource "google_pubsub_topic_iam_member" "worker_publishes_webhooks" {
  project = var.project_id
  topic   = google_pubsub_topic.webhook_deliveries.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.worker.email}"
}

resource "google_pubsub_subscription_iam_member" "worker_delivers_webhooks" {
  project      = var.project_id
  subscription = google_pubsub_subscription.webhook_deliveries.name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${google_service_account.worker.email}"
}

# The API stores, reads, lists and deletes uploaded files in the files bucket only.
resource "google_storage_bucket_iam_member" "api_manages_files" {
  bucket = google_storage_bucket.files.name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.api.email}"
}

# The API reads the model's config.json and tokenizer files (prompt token counts at submit).
resource "google_storage_bucket_iam_member" "api_reads_models" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.api.email}"
}

resource "google_storage_bucket_iam_member" "worker_reads_models" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.worker.email}"
}

# --- Scheduler: starts executions of the worker job ------------------------------------
resource "google_cloud_run_v2_job_iam_member" "scheduler_runs_worker_job" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.worker.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

# --- Pub/Sub service agent: forwards dead letters ---------------------------------------
resource "google_pubsub_topic_iam_member" "pubsub_agent_publishes_job_dead_letters" {
  project = var.project_id
  topic   = google_pubsub_topic.jobs_dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${local.pubsub_service_agent}"
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_acks_jobs" {
  project      = var.project_id
  subscription = google_pubsub_subscription.jobs.name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${local.pubsub_service_agent}"
}

# --- Public access to the API (off by default) ------------------------------------------
resource "google_cloud_run_v2_service_iam_member" "api_public" {
  count    = var.api_allow_unauthenticated ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.api.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
