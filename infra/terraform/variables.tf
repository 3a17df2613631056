# Every knob of the deployment. Only project_id has no default; see docs/deploy.md and
# terraform.tfvars.example. Worker settings that the worker also reads at start-up
# (lease, attempts, batch size) are passed to it as environment variables from here, so
# the queue and the process can never disagree.

variable "project_id" {
  description = "Google Cloud project id to deploy into (it must exist and have billing enabled)."
  type        = string
}

variable "region" {
  description = "Region for Cloud Run, Artifact Registry, the model bucket and Cloud Scheduler. For the GPU option pick one with NVIDIA L4 on Cloud Run: europe-west1, europe-west4, us-east4, asia-southeast1 (us-central1 by invitation)."
  type        = string
  default     = "us-central1"
}

variable "name_prefix" {
  description = "Prefix of every resource name (service accounts, topics, services), so several deployments can share a project."
  type        = string
  default     = "warmgen"

  validation {
    # Service account ids are 6-30 characters; the longest suffix used is "-scheduler" (10).
    condition     = can(regex("^[a-z][a-z0-9-]{2,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 4-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "labels" {
  description = "Labels put on every resource that takes labels."
  type        = map(string)
  default     = { app = "warmgen" }
}

variable "deletion_protection" {
  description = "Protect the Cloud Run resources and the Firestore database from `terraform destroy`. Set false for a throw-away trial."
  type        = bool
  default     = true
}

# --- Images -----------------------------------------------------------------------------

variable "artifact_repository_id" {
  description = "Artifact Registry Docker repository that Cloud Build pushes to and Cloud Run pulls from."
  type        = string
  default     = "warmgen"
}

variable "image_tag" {
  description = "Tag of the api, worker and worker-gpu images to deploy (what cloudbuild.yaml pushed as _TAG)."
  type        = string
  default     = "latest"
}

# --- Data -------------------------------------------------------------------------------

variable "firestore_location" {
  description = "Location of the Firestore database: a multi-region such as nam5 or eur3, or a region. Defaults to var.region. It cannot be changed once created."
  type        = string
  default     = null
}

variable "firestore_database" {
  description = "Firestore database id. \"(default)\" is free-tier eligible; if the project already has one, import it (docs/deploy.md)."
  type        = string
  default     = "(default)"
}

variable "firestore_collection_prefix" {
  description = "Prepended to the job store's collection names (jobs, batches, idempotency_keys), to keep several deployments in one database apart."
  type        = string
  default     = ""
}

variable "retention_days" {
  description = "Days finished jobs, batches and idempotency keys are kept before Firestore's TTL policy deletes them (RETENTION_DAYS)."
  type        = number
  default     = 30
}

variable "model_bucket_name" {
  description = "Name of the Cloud Storage bucket for model files. Defaults to <project_id>-<name_prefix>-models (bucket names are global)."
  type        = string
  default     = null
}

variable "files_bucket_name" {
  description = "Name of the Cloud Storage bucket for files uploaded to /openai/v1/files. Defaults to <project_id>-<name_prefix>-files."
  type        = string
  default     = null
}

variable "files_retention_days" {
  description = "Days an uploaded batch input file is kept before the bucket's lifecycle rule deletes it (a batch's window is 24 h)."
  type        = number
  default     = 7
}

variable "model_prefix" {
  description = "Folder in the model bucket the workers load: MODEL_URI = gs://<bucket>/<model_prefix>. Push a new model to a new prefix and change this to switch atomically."
  type        = string
  default     = "gpt2"
}

variable "log_level" {
  description = "LOG_LEVEL of every process: debug, info, warn or error."
  type        = string
  default     = "info"
}

# --- Queue ------------------------------------------------------------------------------

variable "lease_seconds" {
  description = "Lease on a claimed job (LEASE_SECONDS) and the subscriptions' ack deadline; workers renew it while generating, so it bounds how long a crashed worker's job waits. Pub/Sub allows 10-600."
  type        = number
  default     = 60

  validation {
    condition     = var.lease_seconds >= 10 && var.lease_seconds <= 600
    error_message = "lease_seconds must be 10-600 (Pub/Sub's ack deadline range)."
  }
}

variable "max_attempts" {
  description = "Deliveries before a job is dead-lettered and marked failed (MAX_ATTEMPTS and the dead-letter policy). Pub/Sub allows 5-100."
  type        = number
  default     = 5

  validation {
    condition     = var.max_attempts >= 5 && var.max_attempts <= 100
    error_message = "max_attempts must be 5-100 (Pub/Sub's dead-letter range)."
  }
}

variable "retry_minimum_backoff_seconds" {
  description = "Pub/Sub retry policy: least delay before a released (nacked) message is delivered again. Small, so a job released at shutdown is picked up by another worker at once."
  type        = number
  default     = 1
}

variable "retry_maximum_backoff_seconds" {
  description = "Pub/Sub retry policy: longest delay between redeliveries of a message that keeps failing, so a broken dependency does not cause a hot loop."
  type        = number
  default     = 60
}

variable "message_retention_days" {
  description = "How long Pub/Sub keeps unacknowledged messages (jobs waiting for a worker, dead letters waiting to be recorded). 1-7 days on a subscription. The webhook delivery subscription always keeps 7 days."
  type        = number
  default     = 7
}

# --- API (Cloud Run service) ------------------------------------------------------------

variable "api_cpu" {
  description = "vCPUs per API instance."
  type        = string
  default     = "1"
}

variable "api_memory" {
  description = "Memory per API instance (Kubernetes quantity, e.g. 512Mi, 1Gi)."
  type        = string
  default     = "512Mi"
}

variable "api_min_instances" {
  description = "API instances kept warm. 0 scales to zero when idle (a cold start is about a second: the API loads no model)."
  type        = number
  default     = 0
}

variable "api_max_instances" {
  description = "Upper bound on API instances."
  type        = number
  default     = 10
}

variable "api_concurrency" {
  description = "Concurrent requests per API instance. Long-polls (?wait=, Prefer: wait) hold a slot while they wait."
  type        = number
  default     = 80
}

variable "api_request_timeout_seconds" {
  description = "Cloud Run request timeout for the API; must exceed the longest Prefer: wait / ?wait= hold (60 s by default) and a large batch upload."
  type        = number
  default     = 300
}

variable "api_allow_unauthenticated" {
  description = "Let anyone on the internet call the API (grants roles/run.invoker to allUsers). Off by default: callers need an identity token (docs/deploy.md)."
  type        = bool
  default     = false
}

# --- Workers (Cloud Run job and worker pool) --------------------------------------------

variable "worker_cpu" {
  description = "vCPUs per worker instance or job task (1, 2, 4, 6 or 8). Raised to 4 when worker_gpu is set (an L4 needs at least 4)."
  type        = number
  default     = 4
}

variable "worker_memory_gib" {
  description = "Memory per worker in GiB. It also holds the hydrated model files (Cloud Run's disk is memory): GPT-2 small needs ~0.5 GiB of files plus ~2 GiB to run. Raised to 16 when worker_gpu is set."
  type        = number
  default     = 8
}

variable "worker_gpu" {
  description = "Give each worker one NVIDIA L4 GPU and deploy the worker-gpu image (CUDA execution provider) with DEVICE=cuda. Needs Cloud Run GPU quota in the region."
  type        = bool
  default     = false
}

variable "worker_gpu_zonal_redundancy" {
  description = "Reserve GPU capacity in other zones for failover (costs more). Off: cheaper, and a zonal outage stops GPU workers until capacity returns."
  type        = bool
  default     = false
}

variable "worker_max_batch" {
  description = "Rows per batched generation (MAX_BATCH). Larger batches raise throughput until the CPU or GPU saturates; 8 suits 4 vCPUs, try 32 on an L4."
  type        = number
  default     = 8
}

variable "worker_pool_instances" {
  description = "Long-lived workers in the Cloud Run worker pool (they pull forever and bill while running). 0 keeps the pool but runs nothing: use the job instead."
  type        = number
  default     = 1
}

variable "worker_job_task_count" {
  description = "Tasks per execution of the worker job; each task is one drain-mode worker that exits once the queue stays empty."
  type        = number
  default     = 1
}

variable "worker_job_parallelism" {
  description = "Tasks of one job execution that run at the same time (<= worker_job_task_count)."
  type        = number
  default     = 1
}

variable "worker_job_timeout_seconds" {
  description = "Longest a job task may run before Cloud Run stops it. Up to 168 h on CPU; GPU tasks are limited to 1 h."
  type        = number
  default     = 3600
}

variable "worker_job_max_retries" {
  description = "Times Cloud Run re-runs a failed task (0-10). Jobs a crashed task held are redelivered by Pub/Sub anyway."
  type        = number
  default     = 1
}

variable "worker_job_drain_idle_seconds" {
  description = "A drain-mode task exits after the queue stayed empty this long (IDLE_EXIT_SECONDS)."
  type        = number
  default     = 60
}

variable "worker_job_schedule" {
  description = "Cron schedule (Cloud Scheduler syntax) on which to start the worker job, e.g. \"*/15 * * * *\". Empty: no schedule, start it on demand."
  type        = string
  default     = ""
}

variable "worker_job_schedule_time_zone" {
  description = "Time zone of worker_job_schedule."
  type        = string
  default     = "Etc/UTC"
}

variable "scale_mode" {
  description = "The API's launcher (SCALE_MODE): \"off\" (the cron and worker_pool_instances only), \"job\" (start worker-job executions sized from the backlog; scale to zero), or \"pool\" (set the worker pool's instance count from the backlog)."
  type        = string
  default     = "off"
  validation {
    condition     = contains(["off", "job", "pool"], var.scale_mode)
    error_message = "scale_mode must be off, job or pool."
  }
}

variable "scale_max_workers" {
  description = "Most worker-job tasks running at once (job) or pool instances (pool) the launcher starts (SCALE_MAX_WORKERS): the cap on spend."
  type        = number
  default     = 10
}

variable "scale_min_workers" {
  description = "Instances the launcher keeps in the pool (SCALE_MIN_WORKERS, pool mode only; 0 allowed)."
  type        = number
  default     = 0
}

variable "scale_jobs_per_worker" {
  description = "Backlog per task or instance (SCALE_JOBS_PER_WORKER): an execution gets ceil(backlog / this) tasks."
  type        = number
  default     = 100
}
