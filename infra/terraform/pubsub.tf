# The job queue is a topic with a pull subscription plus a dead-letter topic with its own
# subscription: jobs that fail max_delivery_attempts times move to the dead-letter topic
# (the Pub/Sub service agent needs the grants in iam.tf for that), and a worker drains the
# dead letters and marks those jobs failed.
#
# Retry policy (jobs): a nacked message (a job released at shutdown, or after a retryable
# error) comes back after an exponential backoff from retry_minimum_backoff_seconds (small,
# so a released job is picked up almost at once) to retry_maximum_backoff_seconds (so a
# failing dependency does not make workers spin).
#
# The webhook delivery queue is a topic with one subscription and nothing else; see there.

locals {
  message_retention = "${var.message_retention_days * 86400}s"
  retry_minimum     = "${var.retry_minimum_backoff_seconds}s"
  retry_maximum     = "${var.retry_maximum_backoff_seconds}s"
}

# --- Jobs: the API publishes job ids, workers pull them ----------------------------------
resource "google_pubsub_topic" "jobs" {
  project    = var.project_id
  name       = "${var.name_prefix}-jobs"
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "jobs_dead_letter" {
  project    = var.project_id
  name       = "${var.name_prefix}-jobs-dead-letter"
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "jobs" {
  project = var.project_id
  name    = "${var.name_prefix}-jobs-worker"
  topic   = google_pubsub_topic.jobs.id

  # Workers set each message's deadline to their lease and extend it while generating.
  ack_deadline_seconds       = var.lease_seconds
  message_retention_duration = local.message_retention

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.jobs_dead_letter.id
    max_delivery_attempts = var.max_attempts
  }

  retry_policy {
    minimum_backoff = local.retry_minimum
    maximum_backoff = local.retry_maximum
  }

  # Never delete the subscription for inactivity (a quiet week must not lose the queue).
  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "jobs_dead_letter" {
  project = var.project_id
  name    = "${var.name_prefix}-jobs-dead-letter-worker"
  topic   = google_pubsub_topic.jobs_dead_letter.id

  ack_deadline_seconds       = var.lease_seconds
  message_retention_duration = local.message_retention

  # No dead-letter policy: this is the end of the line; a dead letter stays until a worker
  # has recorded its job as failed.
  retry_policy {
    minimum_backoff = local.retry_minimum
    maximum_backoff = local.retry_maximum
  }

  expiration_policy {
    ttl = ""
  }
}

# --- Webhook deliveries: one message per event to deliver --------------------------------
resource "google_pubsub_topic" "webhook_deliveries" {
  project    = var.project_id
  name       = "${var.name_prefix}-webhooks"
  depends_on = [google_project_service.apis]
}

# The settings PubSubWebhookDeliveryQueue.ensureTopology uses (shared/src/adapters/pubsub).
# The event store, not Pub/Sub, decides when an event's delivery is over (its retry
# schedule, about 3 days by default); the message only carries the event id. A worker
# postpones a message whose event is not due by setting its ack deadline (at most 600 s),
# so a waiting event comes back every 10 minutes and each return counts as a delivery
# attempt. Hence:
# - no dead_letter_policy: it would dead-letter events that are merely waiting;
# - no retry_policy: its backoff is triggered by every expired deadline and would add up
#   to maximum_backoff to each postponement, delaying attempts past their schedule (a
#   worker that fails on a message lets its lease run out, so there is no hot loop);
# - 7 days' retention, Pub/Sub's maximum, independent of message_retention_days, so a
#   message outlives its event's schedule.
resource "google_pubsub_subscription" "webhook_deliveries" {
  project = var.project_id
  name    = "${var.name_prefix}-webhooks-delivery"
  topic   = google_pubsub_topic.webhook_deliveries.id

  # Workers set each message's deadline to their lease (a delivery waits for the receiver).
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

# --- Live output: workers publish running jobs' text, each API process subscribes ---------
# No subscription here: each API process creates its own at start (every process needs
# every chunk, see docs/live-output.md), deletes it at stop, and gives it a 1-day expiry
# so one left by a killed process goes by itself. Chunks are worth nothing after minutes:
# 10 minutes' retention, Pub/Sub's least.
resource "google_pubsub_topic" "stream" {
  project                    = var.project_id
  name                       = "${var.name_prefix}-stream"
  message_retention_duration = "600s"
  depends_on                 = [google_project_service.apis]
}
