# The identity the Cloud Run service runs as, with the least privilege it needs:
#   - roles/datastore.user on the project: read and write Firestore documents (Firestore IAM has no
#     narrower scope than the project for document access);
#   - roles/secretmanager.secretAccessor on exactly our two secrets.
# Nothing else. In particular no roles/logging.logWriter: Cloud Run itself ships the service's
# stdout/stderr (pino's JSON lines) to Cloud Logging, and the service never calls the Logging API.
resource "google_service_account" "runtime" {
  project      = var.project_id
  account_id   = "${substr(var.service_name, 0, 26)}-run"
  display_name = "${var.service_name} Cloud Run runtime"
  description  = "Runs the ${var.service_name} Cloud Run service: Firestore documents and its two secrets, nothing else."

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "runtime_datastore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.runtime.member
}

resource "google_secret_manager_secret_iam_member" "runtime_access_token" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.access_token.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime.member
}

resource "google_secret_manager_secret_iam_member" "runtime_google_oauth_client" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.google_oauth_client.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime.member
}

# The identity Cloud Build runs cloudbuild.yaml as (trigger and `gcloud builds submit --service-account`):
#   - roles/logging.logWriter on the project: a build with its own service account must write its log to
#     Cloud Logging (cloudbuild.yaml sets options.logging: CLOUD_LOGGING_ONLY);
#   - roles/artifactregistry.writer on our image repository only (build.tf);
#   - roles/run.developer on our Cloud Run service only (run.tf), to deploy new revisions;
#   - roles/iam.serviceAccountUser on the runtime account only, which deploying a revision that runs as
#     that account requires;
#   - roles/storage.objectViewer on the source staging bucket only (build.tf), for `gcloud builds submit`.
resource "google_service_account" "cloudbuild" {
  project      = var.project_id
  account_id   = "${substr(var.service_name, 0, 24)}-build"
  display_name = "${var.service_name} Cloud Build"
  description  = "Tests, builds, pushes and deploys ${var.service_name} (cloudbuild.yaml)."

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "cloudbuild_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.cloudbuild.member
}

resource "google_service_account_iam_member" "cloudbuild_acts_as_runtime" {
  service_account_id = google_service_account.runtime.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.cloudbuild.member
}
