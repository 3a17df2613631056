# The job store. Composite indexes and TTL policies mirror infra/firestore-indexes.json,
# the store adapter's own list (shared/src/adapters/firestore); the offline check
# infra/src/checks/check-firestore-indexes.ts fails when the two differ.
resource "google_firestore_database" "this" {
  project     = var.project_id
  name        = var.firestore_database
  location_id = local.firestore_location
  type        = "FIRESTORE_NATIVE"

  delete_protection_state = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy         = var.deletion_protection ? "ABANDON" : "DELETE"

  depends_on = [google_project_service.apis]
}
