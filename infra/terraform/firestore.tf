# The job store and the webhook events. Composite indexes and TTL policies mirror
# infra/firestore-indexes.json, the store adapters' own list (shared/src/adapters/firestore);
# the offline check infra/src/checks/check-firestore-indexes.ts fails when the two differ,
# and check-firestore-queries.ts derives the composite indexes from the queries.
resource "google_firestore_database" "this" {
  project     = var.project_id
  name        = var.firestore_database
  location_id = local.firestore_location
  type        = "FIRESTORE_NATIVE"

  delete_protection_state = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy         = var.deletion_protection ? "ABANDON" : "DELETE"

  depends_on = [google_project_service.apis]
}

locals {
  # The store's collections (FIRESTORE_COLLECTION_PREFIX + name).
  jobs_collection             = "${var.firestore_collection_prefix}jobs"
  batches_collection          = "${var.firestore_collection_prefix}batches"
  idempotency_keys_collection = "${var.firestore_collection_prefix}idempotency_keys"
  webhook_events_collection   = "${var.firestore_collection_prefix}webhook_events"
  openai_batches_collection   = "${var.firestore_collection_prefix}openai_batches"
  workers_collection          = "${var.firestore_collection_prefix}workers"
}

# --- Composite indexes ------------------------------------------------------------------

# A batch's results, in custom_id order (GET /v1/batches/{id}/results).
resource "google_firestore_index" "jobs_by_batch_and_custom_id" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = local.jobs_collection
  query_scope = "COLLECTION"

  fields {
    field_path = "batchId"
    order      = "ASCENDING"
  }
  fields {
    field_path = "customId"
    order      = "ASCENDING"
  }
}

# A batch's results in input order (GET /v1/batches/{id}/results?order=input).
resource "google_firestore_index" "jobs_by_batch_and_input_index" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = local.jobs_collection
  query_scope = "COLLECTION"

  fields {
    field_path = "batchId"
    order      = "ASCENDING"
  }
  fields {
    field_path = "inputIndex"
    order      = "ASCENDING"
  }
}

# A batch's counts by status (GET /v1/batches/{id}).
resource "google_firestore_index" "jobs_by_batch_and_status" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = local.jobs_collection
  query_scope = "COLLECTION"

  fields {
    field_path = "batchId"
    order      = "ASCENDING"
  }
  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
}

# Queued jobs whose message was never published, oldest first (the API's orphan sweeper).
resource "google_firestore_index" "jobs_unpublished" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = local.jobs_collection
  query_scope = "COLLECTION"

  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "publishedAtMs"
    order      = "ASCENDING"
  }
  fields {
    field_path = "createdAtMs"
    order      = "ASCENDING"
  }
}

# The oldest queued job (GET /v1/capacity: its age; the launcher's backlog).
resource "google_firestore_index" "jobs_queued_by_created" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = local.jobs_collection
  query_scope = "COLLECTION"

  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "createdAtMs"
    order      = "ASCENDING"
  }
}

# A batch's last finish time, for its batch.completed event (the webhook event store).
resource "google_firestore_index" "jobs_by_batch_and_finish" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = local.jobs_collection
  query_scope = "COLLECTION"

  fields {
    field_path = "batchId"
    order      = "ASCENDING"
  }
  fields {
    field_path = "finishedAtMs"
    order      = "DESCENDING"
  }
}

# Events still in the outbox, oldest first (the webhook dispatcher).
resource "google_firestore_index" "webhook_events_undispatched" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = local.webhook_events_collection
  query_scope = "COLLECTION"

  fields {
    field_path = "dispatchedAtMs"
    order      = "ASCENDING"
  }
  fields {
    field_path = "createdAtMs"
    order      = "ASCENDING"
  }
}

# Pending events whose next attempt is long overdue (the webhook sweeper republishes them).
resource "google_firestore_index" "webhook_events_stale" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = local.webhook_events_collection
  query_scope = "COLLECTION"

  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
  fields {
    field_path = "nextAttemptAtMs"
    order      = "ASCENDING"
  }
}

# A key's OpenAI batches, newest first (GET /openai/v1/batches).
resource "google_firestore_index" "openai_batches_by_owner" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = local.openai_batches_collection
  query_scope = "COLLECTION"

  fields {
    field_path = "owner"
    order      = "ASCENDING"
  }
  fields {
    field_path = "createdAtMs"
    order      = "DESCENDING"
  }
}

# --- TTL policies: Firestore deletes a document some time after its expireAt -----------
# (typically within a day). expireAt itself is not indexed: a timestamp that only grows
# would make index writes hot-spot.

resource "google_firestore_field" "jobs_expire_at" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.jobs_collection
  field      = "expireAt"

  ttl_config {}
  index_config {}
}

resource "google_firestore_field" "batches_expire_at" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.batches_collection
  field      = "expireAt"

  ttl_config {}
  index_config {}
}

resource "google_firestore_field" "idempotency_keys_expire_at" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.idempotency_keys_collection
  field      = "expireAt"

  ttl_config {}
  index_config {}
}

# Worker heartbeats: a worker that died stops rewriting its record; TTL removes it.
resource "google_firestore_field" "workers_expire_at" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.workers_collection
  field      = "expireAt"

  ttl_config {}
  index_config {}
}

resource "google_firestore_field" "webhook_events_expire_at" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.webhook_events_collection
  field      = "expireAt"

  ttl_config {}
  index_config {}
}

# --- Index exemptions: large values that are never queried ------------------------------
# Indexing them would cost a write per field and fail for values over 1,500 bytes.

resource "google_firestore_field" "jobs_prompt" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.jobs_collection
  field      = "prompt"

  index_config {}
}

resource "google_firestore_field" "jobs_params" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.jobs_collection
  field      = "params"

  index_config {}
}

resource "google_firestore_field" "jobs_result" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.jobs_collection
  field      = "result"

  index_config {}
}

resource "google_firestore_field" "jobs_error" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.jobs_collection
  field      = "error"

  index_config {}
}

resource "google_firestore_field" "jobs_webhook" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.jobs_collection
  field      = "webhook"

  index_config {}
}

resource "google_firestore_field" "batches_webhook" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.batches_collection
  field      = "webhook"

  index_config {}
}

resource "google_firestore_field" "webhook_events_payload" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.webhook_events_collection
  field      = "payload"

  index_config {}
}

resource "google_firestore_field" "webhook_events_attempts" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = local.webhook_events_collection
  field      = "attempts"

  index_config {}
}
