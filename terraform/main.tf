data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # The Firestore collections the service writes. Every document carries an `expiresAt` Timestamp, and
  # firestore.tf gives each collection a TTL policy on it. This list must name exactly the collections of
  # docs/storage.md (test/deploy/consistency.test.ts checks it).
  collections = [
    "clients",
    "sessions",
    "interactions",
    "grants",
    "authorization_codes",
    "refresh_tokens",
    "consents",
    "google_tokens",
    "google_login_states",
    "cimd_documents",
    "replay_detections",
    "pushed_authorization_requests",
    "trash",
  ]

  # The public origin of the service: BASE_URL inside the service, the issuer its OAuth metadata announces,
  # and the base of the MCP URL and the Google redirect URI. Cloud Run gives every service the
  # deterministic URL https://SERVICE-PROJECT_NUMBER.REGION.run.app, known before the service exists, so
  # the service can be told its own URL without a dependency cycle. A custom domain replaces it.
  base_url = var.custom_domain != "" ? "https://${var.custom_domain}" : "https://${var.service_name}-${data.google_project.this.number}.${var.region}.run.app"

  firestore_database = var.create_firestore_database ? google_firestore_database.main[0].name : var.firestore_database

  image_repository = "${google_artifact_registry_repository.images.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"

  # The port the container listens on. Cloud Run passes it to the container as PORT (the Dockerfile's
  # default is the same).
  container_port = 8080

  labels = {
    app = "contacts-mcp"
  }
}

# The APIs the deployment uses. Turning them off on `terraform destroy` could break other things in the
# project, so destroy leaves them on.
resource "google_project_service" "enabled" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "people.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
