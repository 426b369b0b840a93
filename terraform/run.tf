locals {
  # Environment of the service besides its two secrets. PORT is not here: Cloud Run sets it to the
  # container port.
  service_env = {
    BASE_URL                    = local.base_url
    STORE                       = "firestore"
    GOOGLE_CLOUD_PROJECT        = var.project_id
    FIRESTORE_DATABASE          = local.firestore_database
    FIRESTORE_COLLECTION_PREFIX = var.firestore_collection_prefix
    ALLOWED_DOMAINS             = join(",", var.allowed_domains)
    ALLOWED_EMAILS              = join(",", var.allowed_emails)
    READ_ONLY                   = tostring(var.read_only)
    LOG_LEVEL                   = var.log_level
    # Always set (also when true) so that turning it back on in Terraform takes effect.
    CLIENT_ID_METADATA_DOCUMENTS = tostring(var.client_id_metadata_documents)
  }
}

resource "google_cloud_run_v2_service" "main" {
  count = var.deploy_service ? 1 : 0

  project  = var.project_id
  name     = var.service_name
  location = var.region
  ingress  = "INGRESS_TRAFFIC_ALL"
  labels   = local.labels

  # The service is stateless (its data lives in Firestore, its secrets in Secret Manager), so deleting it
  # loses nothing: let `terraform destroy` remove it.
  deletion_protection = false

  # Public or not: see google_cloud_run_v2_service_iam_member.public_invoker below.
  invoker_iam_disabled = var.invoker_iam_disabled

  template {
    service_account = google_service_account.runtime.email

    # MCP responses may stream (SSE) for a long time: allow the Cloud Run maximum of 60 minutes.
    timeout = "3600s"

    max_instance_request_concurrency = var.concurrency

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    containers {
      # Cloud Build deploys each commit's image; see lifecycle.ignore_changes below.
      image = var.container_image

      ports {
        container_port = local.container_port
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        # CPU only while requests are in flight (request-based billing); an open SSE response counts as
        # a request in flight.
        cpu_idle          = true
        startup_cpu_boost = true
      }

      # Plain settings (the service's configuration, none of it secret). Empty ones are left out.
      dynamic "env" {
        for_each = { for name, value in local.service_env : name => value if value != "" }
        content {
          name  = env.key
          value = env.value
        }
      }

      # Secrets: Cloud Run reads the latest version of each secret when an instance starts and passes it
      # to the container as an environment variable. Nothing secret is in the image or in this file.
      env {
        name = "ACCESS_TOKEN_SECRET"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.access_token.secret_id
            version = "latest"
          }
        }
      }
      env {
        name = "GOOGLE_OAUTH_CLIENT"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.google_oauth_client.secret_id
            version = "latest"
          }
        }
      }

      # Cloud Run holds a new instance's first request until this probe passes, and probes only every
      # period_seconds: a server ready 0.6 s after start waited until the 2 s tick. Every 1 s (the minimum)
      # takes up to a second off each cold start (docs/deploy.md, "Cold starts"); 30 × 1 s keeps the
      # 30 s start-up allowance of 15 × 2 s.
      startup_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 1
        timeout_seconds   = 1
        failure_threshold = 30
      }

      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 30
        timeout_seconds   = 5
        failure_threshold = 3
      }
    }
  }

  lifecycle {
    # Cloud Build (`gcloud run services update --image`) owns the image after the first apply, and
    # records itself as the client. The rotation procedure in docs/deploy.md sets a revision label.
    ignore_changes = [
      client,
      client_version,
      template[0].containers[0].image,
      template[0].labels,
    ]

    precondition {
      condition     = length(var.allowed_domains) + length(var.allowed_emails) > 0
      error_message = "Set allowed_domains and/or allowed_emails: with both empty, any Google account could sign in."
    }
  }

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.runtime_datastore_user,
    google_secret_manager_secret_iam_member.runtime_access_token,
    google_secret_manager_secret_iam_member.runtime_google_oauth_client,
    google_secret_manager_secret_version.access_token_generated,
  ]
}

# Anyone on the internet may send requests to the service: Claude connects to the MCP URL without any
# Google identity, and the service itself enforces OAuth 2.1 on /mcp (every MCP request needs an access
# token it issued after a Google sign-in by an allowed user). Cloud Run's IAM check would only lock
# Claude out. With invoker_iam_disabled = true the check is switched off on the service instead (for
# organizations whose policy forbids allUsers bindings) and this binding is not created.
resource "google_cloud_run_v2_service_iam_member" "public_invoker" {
  count = var.deploy_service && !var.invoker_iam_disabled ? 1 : 0

  project  = var.project_id
  location = google_cloud_run_v2_service.main[0].location
  name     = google_cloud_run_v2_service.main[0].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Cloud Build may deploy new revisions of this one service.
resource "google_cloud_run_v2_service_iam_member" "cloudbuild_deployer" {
  count = var.deploy_service ? 1 : 0

  project  = var.project_id
  location = google_cloud_run_v2_service.main[0].location
  name     = google_cloud_run_v2_service.main[0].name
  role     = "roles/run.developer"
  member   = google_service_account.cloudbuild.member
}
