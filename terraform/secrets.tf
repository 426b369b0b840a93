# Secret containers only: the values are added by the admin with `gcloud secrets versions add`
# (docs/deploy.md), so they never pass through this repository or the Terraform state.

# ACCESS_TOKEN_SECRET: the key the service signs and encrypts its own tokens with (at least 32 random
# bytes; "new,previous" during a rotation).
resource "google_secret_manager_secret" "access_token" {
  project   = var.project_id
  secret_id = var.access_token_secret_id
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

# GOOGLE_OAUTH_CLIENT: the JSON file the Google Cloud console downloads for the Web OAuth client.
resource "google_secret_manager_secret" "google_oauth_client" {
  project   = var.project_id
  secret_id = var.google_oauth_client_secret_id
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

# Optional: let Terraform generate ACCESS_TOKEN_SECRET. The value is then stored in the Terraform state
# as well, so only use this with a state that is kept private (docs/deploy.md, "Terraform state").
resource "random_password" "access_token_secret" {
  count = var.generate_access_token_secret ? 1 : 0

  length  = 64
  special = false
}

resource "google_secret_manager_secret_version" "access_token_generated" {
  count = var.generate_access_token_secret ? 1 : 0

  secret      = google_secret_manager_secret.access_token.id
  secret_data = random_password.access_token_secret[0].result
}
