output "service_url" {
  description = "The public origin of the service (its BASE_URL)."
  value       = local.base_url
}

output "mcp_url" {
  description = "The URL to paste into Claude: Settings > Connectors > Add custom connector."
  value       = "${local.base_url}/mcp"
}

output "google_oauth_redirect_uri" {
  description = "Add this as an authorized redirect URI of the Web OAuth client in the Google Cloud console."
  value       = "${local.base_url}/oauth/google/callback"
}

output "image_repository" {
  description = "Artifact Registry path the images are pushed to (each image is IMAGE_REPOSITORY/SERVICE:COMMIT_SHA)."
  value       = local.image_repository
}

output "access_token_secret" {
  description = "Secret Manager secret that holds ACCESS_TOKEN_SECRET."
  value       = google_secret_manager_secret.access_token.secret_id
}

output "google_oauth_client_secret" {
  description = "Secret Manager secret that holds GOOGLE_OAUTH_CLIENT (the OAuth client JSON file)."
  value       = google_secret_manager_secret.google_oauth_client.secret_id
}

output "cloudbuild_service_account" {
  description = "Service account for `gcloud builds submit --service-account` (its full resource name)."
  value       = google_service_account.cloudbuild.id
}

output "build_source_staging_dir" {
  description = "For `gcloud builds submit --gcs-source-staging-dir`."
  value       = "gs://${google_storage_bucket.build_sources.name}/source"
}

output "region" {
  description = "Region of the service, for gcloud's --region flag."
  value       = var.region
}

output "service_name" {
  description = "Name of the Cloud Run service, for gcloud run commands."
  value       = var.service_name
}

output "artifact_repository_id" {
  description = "Artifact Registry repository ID, cloudbuild.yaml's _REPOSITORY substitution."
  value       = google_artifact_registry_repository.images.repository_id
}
