resource "google_firestore_database" "main" {
  count = var.create_firestore_database ? 1 : 0

  project     = var.project_id
  name        = var.firestore_database
  location_id = var.firestore_location != "" ? var.firestore_location : var.region
  type        = "FIRESTORE_NATIVE"

  # `terraform destroy` leaves the database and its data in place (docs/deploy.md, "Tear down").
  deletion_policy = "ABANDON"

  depends_on = [google_project_service.enabled]
}

# One TTL policy per collection on its `expiresAt` Timestamp. Firestore deletes an expired document some
# time after it expires (Google: typically within 24 hours), so the TTL reclaims storage; it does not
# replace the service's own expiry checks. Indexing of the field stays at Firestore's default
# (index_config omitted), so queries on expiresAt keep working.
resource "google_firestore_field" "expires_at_ttl" {
  for_each = toset(local.collections)

  project    = var.project_id
  database   = local.firestore_database
  collection = "${var.firestore_collection_prefix}${each.value}"
  field      = "expiresAt"

  ttl_config {}

  depends_on = [google_project_service.enabled]
}
