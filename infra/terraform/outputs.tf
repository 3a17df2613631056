output "api_url" {
  description = "Base URL of the API (Cloud Run service)."
  value       = google_cloud_run_v2_service.api.uri
}

output "model_bucket" {
  description = "Bucket to push the model to: model push DIR gs://<bucket>/<model_prefix>."
  value       = google_storage_bucket.models.name
}

output "model_uri" {
  description = "MODEL_URI the workers hydrate from (and the API its tokenizer)."
  value       = local.common_env.MODEL_URI
}

output "image_repository" {
  description = "Artifact Registry path the images are pushed to (cloudbuild.yaml)."
  value       = local.image_repository
}

output "jobs_topic" {
  description = "Pub/Sub topic the API publishes job ids to."
  value       = google_pubsub_topic.jobs.name
}

output "jobs_subscription" {
  description = "Pub/Sub subscription the workers pull from."
  value       = google_pubsub_subscription.jobs.name
}

output "jobs_dead_letter_topic" {
  description = "Pub/Sub topic of jobs that failed max_attempts deliveries."
  value       = google_pubsub_topic.jobs_dead_letter.name
}

output "webhook_deliveries_topic" {
  description = "Pub/Sub topic of webhook callbacks to deliver."
  value       = google_pubsub_topic.webhook_deliveries.name
}

output "worker_job" {
  description = "Cloud Run job to execute for drain-mode workers: gcloud run jobs execute <this> --region <region>."
  value       = google_cloud_run_v2_job.worker.name
}

output "worker_pool" {
  description = "Cloud Run worker pool of long-lived workers."
  value       = google_cloud_run_v2_worker_pool.worker.name
}

output "firestore_database" {
  description = "Firestore database id of the job store."
  value       = google_firestore_database.this.name
}

output "secrets" {
  description = "Secret Manager secret ids to add versions to (gcloud secrets versions add)."
  value = {
    webhook_signing_secret = google_secret_manager_secret.webhook_signing_secret.secret_id
    api_keys               = google_secret_manager_secret.api_keys.secret_id
  }
}
