# Images: REGION-docker.pkg.dev/PROJECT/REPOSITORY/SERVICE:COMMIT_SHA (cloudbuild.yaml builds that path).
resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = var.artifact_repository_id
  format        = "DOCKER"
  description   = "Images of the ${var.service_name} Cloud Run service."
  labels        = local.labels

  # Keep the 10 newest images (enough to roll back to any recent revision) and delete images older than
  # 30 days beyond those. A KEEP policy wins over a DELETE policy.
  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_artifact_registry_repository_iam_member" "cloudbuild_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.cloudbuild.member
}

# Where `gcloud builds submit` uploads the source of a manual build (docs/deploy.md, first deploy). A
# build running as its own service account can only read sources it has been granted.
resource "google_storage_bucket" "build_sources" {
  project                     = var.project_id
  name                        = "${var.project_id}-${substr(var.service_name, 0, 18)}-builds"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = local.labels

  lifecycle_rule {
    action {
      type = "Delete"
    }
    condition {
      age = 7
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_iam_member" "cloudbuild_reads_sources" {
  bucket = google_storage_bucket.build_sources.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.cloudbuild.member
}

# Optional: test, build and deploy every push to trigger_branch. The GitHub repository must first be
# linked to Cloud Build (2nd gen) in the console; the trigger lives in that connection's region.
resource "google_cloudbuild_trigger" "deploy_on_push" {
  count = var.enable_build_trigger ? 1 : 0

  project         = var.project_id
  name            = "${var.service_name}-deploy"
  description     = "Test, build and deploy ${var.service_name} on every push to ${var.trigger_branch}."
  location        = var.cloudbuild_repository != "" ? split("/", var.cloudbuild_repository)[3] : var.region
  filename        = "cloudbuild.yaml"
  service_account = google_service_account.cloudbuild.id

  repository_event_config {
    repository = var.cloudbuild_repository
    push {
      branch = "^${var.trigger_branch}$"
    }
  }

  # The same names and values as the defaults in cloudbuild.yaml's substitutions.
  substitutions = {
    _REGION     = var.region
    _REPOSITORY = google_artifact_registry_repository.images.repository_id
    _SERVICE    = var.service_name
  }

  lifecycle {
    precondition {
      condition     = var.cloudbuild_repository != ""
      error_message = "enable_build_trigger = true needs cloudbuild_repository (docs/deploy.md, \"Deploy on every push\")."
    }
  }

  depends_on = [
    google_project_iam_member.cloudbuild_log_writer,
    google_artifact_registry_repository_iam_member.cloudbuild_writer,
  ]
}
