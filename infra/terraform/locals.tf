locals {
  image_repository = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
  api_image        = "${local.image_repository}/api:${var.image_tag}"

  # The GPU image carries the onnxruntime CUDA execution provider and the CUDA libraries.
  worker_image_name = var.worker_gpu ? "worker-gpu" : "worker"
  worker_image      = "${local.image_repository}/${local.worker_image_name}:${var.image_tag}"

  model_bucket_name  = coalesce(var.model_bucket_name, "${var.project_id}-${var.name_prefix}-models")
  files_bucket_name  = coalesce(var.files_bucket_name, "${var.project_id}-${var.name_prefix}-files")
  firestore_location = coalesce(var.firestore_location, var.region)

  # An NVIDIA L4 on Cloud Run needs at least 4 vCPUs and 16 GiB.
  worker_cpu        = var.worker_gpu ? max(var.worker_cpu, 4) : var.worker_cpu
  worker_memory_gib = var.worker_gpu ? max(var.worker_memory_gib, 16) : var.worker_memory_gib

  # (A for-filter, not `gpu ? {...} : {}`: a conditional's two objects must have one type.)
  worker_limits = merge(
    { cpu = tostring(local.worker_cpu), memory = "${local.worker_memory_gib}Gi" },
    { for name, count in { "nvidia.com/gpu" = "1" } : name => count if var.worker_gpu },
  )

  # Environment of every process, read once at start-up by loadConfig
  # (shared/src/config/load-config.ts). The offline checks (infra/src) run loadConfig over
  # these values: every name must be one it reads, and every variable it requires must be
  # here with a value it accepts.
  common_env = {
    # A deployment: keys and webhook secrets required (shared/src/config/production-setting.ts).
    PRODUCTION                      = "true"
    BACKEND                         = "gcp"
    GOOGLE_CLOUD_PROJECT            = var.project_id
    LOG_LEVEL                       = var.log_level
    LEASE_SECONDS                   = tostring(var.lease_seconds)
    MAX_ATTEMPTS                    = tostring(var.max_attempts)
    PUBSUB_TOPIC                    = google_pubsub_topic.jobs.name
    PUBSUB_SUBSCRIPTION             = google_pubsub_subscription.jobs.name
    PUBSUB_DEAD_LETTER_TOPIC        = google_pubsub_topic.jobs_dead_letter.name
    PUBSUB_DEAD_LETTER_SUBSCRIPTION = google_pubsub_subscription.jobs_dead_letter.name
    FIRESTORE_DATABASE              = google_firestore_database.this.name
    FIRESTORE_COLLECTION_PREFIX     = var.firestore_collection_prefix
    RETENTION_DAYS                  = tostring(var.retention_days)
    WEBHOOK_PUBSUB_TOPIC            = google_pubsub_topic.webhook_deliveries.name
    WEBHOOK_PUBSUB_SUBSCRIPTION     = google_pubsub_subscription.webhook_deliveries.name
    PUBSUB_STREAM_TOPIC             = google_pubsub_topic.stream.name
    # The prefix the API's stream_subscriptions role is limited to (iam.tf).
    PUBSUB_STREAM_SUBSCRIPTION_PREFIX = "${var.name_prefix}-stream-api"
    # Workers hydrate the whole folder; the API only config.json and the tokenizer files,
    # to refuse a prompt + max_new_tokens past the model's positions at submit.
    MODEL_URI = "gs://${google_storage_bucket.models.name}/${var.model_prefix}"
  }

  # The API's own settings (request limits) keep loadConfig's defaults unless set here.
  api_env = {
    # Files and Batches of /openai/v1 keep uploads here (batch records go to Firestore).
    OPENAI_FILES_URI = "gs://${google_storage_bucket.files.name}/openai"
    # The launcher (scaling.tf): off unless scale_mode says job or pool. Both names are
    # always set; the mode picks the one it scales.
    SCALE_MODE            = var.scale_mode
    SCALE_JOB             = "projects/${var.project_id}/locations/${var.region}/jobs/${google_cloud_run_v2_job.worker.name}"
    SCALE_WORKER_POOL     = "projects/${var.project_id}/locations/${var.region}/workerPools/${google_cloud_run_v2_worker_pool.worker.name}"
    SCALE_MAX_WORKERS     = tostring(var.scale_max_workers)
    SCALE_MIN_WORKERS     = tostring(var.scale_min_workers)
    SCALE_JOBS_PER_WORKER = tostring(var.scale_jobs_per_worker)
  }

  worker_env = {
    DEVICE    = var.worker_gpu ? "cuda" : "cpu"
    MAX_BATCH = tostring(var.worker_max_batch)
    # Workers serve no /v1 routes (only health and metrics): no API keys for them to hold.
    AUTH_MODE = "open"
  }
}
