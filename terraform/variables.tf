variable "project_id" {
  type        = string
  description = "ID of the Google Cloud project to deploy into (not its name or number)."
}

variable "region" {
  type        = string
  description = "Region for Cloud Run, Artifact Registry and (by default) Firestore, e.g. europe-west1 or us-central1."
  default     = "europe-west1"
}

variable "service_name" {
  type        = string
  description = "Cloud Run service name. Also the image name in Artifact Registry and part of the service URL."
  default     = "contacts-mcp"

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$", var.service_name))
    error_message = "service_name: lowercase letters, digits and hyphens, starting with a letter, at most 49 characters."
  }
}

variable "deploy_service" {
  type        = bool
  description = "Create the Cloud Run service. Leave false for the first apply; set true once both secrets have a version (docs/deploy.md, step 5). Cloud Run refuses to start a revision whose secrets have no version."
  default     = false
}

variable "custom_domain" {
  type        = string
  description = "Host name (no scheme, no path) that users reach the service at, e.g. contacts.example.com, once you have mapped it to the service. Empty: the service's own https://SERVICE-PROJECT_NUMBER.REGION.run.app URL."
  default     = ""

  validation {
    condition     = var.custom_domain == "" || can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$", var.custom_domain))
    error_message = "custom_domain must be a bare host name such as contacts.example.com (no https://, no path, no trailing dot)."
  }
}

variable "artifact_repository_id" {
  type        = string
  description = "Artifact Registry Docker repository that holds the images."
  default     = "contacts-mcp"
}

variable "container_image" {
  type        = string
  description = "Image the service is created with. Only used when the service is first created: after that Cloud Build (cloudbuild.yaml) deploys each commit's image and Terraform ignores the image. The default placeholder answers 200 on every path, so the health probes pass until the first build."
  default     = "us-docker.pkg.dev/cloudrun/container/hello"
}

# --- Who may sign in, and what the service may do ---------------------------------------------------------

variable "allowed_domains" {
  type        = list(string)
  description = "Google Workspace / email domains whose users may sign in (ALLOWED_DOMAINS), e.g. [\"example.com\"]."
  default     = []
}

variable "allowed_emails" {
  type        = list(string)
  description = "Individual email addresses that may sign in (ALLOWED_EMAILS), in addition to allowed_domains. Terraform requires at least one entry in allowed_domains or allowed_emails: the service would let any Google account sign in otherwise."
  default     = []
}

variable "read_only" {
  type        = bool
  description = "READ_ONLY: when true the MCP tools can read contacts but not create, change or delete them."
  default     = false
}

variable "client_id_metadata_documents" {
  type        = bool
  description = "CLIENT_ID_METADATA_DOCUMENTS: false when the service cannot reach apps' metadata documents (e.g. egress to claude.ai is blocked); apps such as Claude Code then register with dynamic client registration instead."
  default     = true
}

variable "log_level" {
  type        = string
  description = "LOG_LEVEL of the service."
  default     = "info"

  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)
    error_message = "log_level must be one of fatal, error, warn, info, debug, trace, silent."
  }
}

# --- Cloud Run sizing ------------------------------------------------------------------------------------

variable "cpu" {
  type        = string
  description = "vCPUs per instance (Cloud Run limits.cpu)."
  default     = "1"
}

variable "memory" {
  type        = string
  description = "Memory per instance (Cloud Run limits.memory)."
  default     = "512Mi"
}

variable "min_instances" {
  type        = number
  description = "Minimum instances. 0 scales to zero when idle (cheapest; the first request after idling waits for a cold start). 1 keeps one warm instance (billed all the time)."
  default     = 0
}

variable "max_instances" {
  type        = number
  description = "Maximum instances; caps cost if something loops or the service is flooded."
  default     = 4
}

variable "concurrency" {
  type        = number
  description = "Maximum concurrent requests per instance. Long-lived SSE responses each hold one slot."
  default     = 80
}

variable "invoker_iam_disabled" {
  type        = bool
  description = "Make the service public by disabling Cloud Run's invoker IAM check instead of granting roles/run.invoker to allUsers. Use this when an organization policy (iam.allowedPolicyMemberDomains, \"domain restricted sharing\") forbids allUsers bindings."
  default     = false
}

# --- Firestore -------------------------------------------------------------------------------------------

variable "create_firestore_database" {
  type        = bool
  description = "Create the Firestore database. Set false to use an existing Native-mode database named firestore_database."
  default     = true
}

variable "firestore_database" {
  type        = string
  description = "Firestore database ID (FIRESTORE_DATABASE)."
  default     = "(default)"
}

variable "firestore_location" {
  type        = string
  description = "Firestore location, e.g. eur3, nam5 or a region. Empty: the same as region. Cannot be changed after creation."
  default     = ""
}

variable "firestore_collection_prefix" {
  type        = string
  description = "Prefix for every collection name (FIRESTORE_COLLECTION_PREFIX), to share a database with other apps. Empty: no prefix."
  default     = ""

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{0,40}$", var.firestore_collection_prefix))
    error_message = "firestore_collection_prefix may only contain letters, digits, \"_\" and \"-\" (at most 40), e.g. \"staging_\"."
  }
}

# --- Secrets ---------------------------------------------------------------------------------------------

variable "access_token_secret_id" {
  type        = string
  description = "Secret Manager secret holding ACCESS_TOKEN_SECRET."
  default     = "access-token-secret"
}

variable "google_oauth_client_secret_id" {
  type        = string
  description = "Secret Manager secret holding GOOGLE_OAUTH_CLIENT, the JSON file the Google Cloud console downloads for the OAuth client."
  default     = "google-oauth-client"
}

variable "generate_access_token_secret" {
  type        = bool
  description = "Let Terraform generate ACCESS_TOKEN_SECRET (random provider) and store it as the secret's first version. The value then also lives in the Terraform state: keep the state private. False: add the version yourself with gcloud (docs/deploy.md)."
  default     = false
}

# --- Cloud Build trigger (optional) ----------------------------------------------------------------------

variable "enable_build_trigger" {
  type        = bool
  description = "Create a Cloud Build trigger that tests, builds and deploys every push to trigger_branch. Needs cloudbuild_repository."
  default     = false
}

variable "cloudbuild_repository" {
  type        = string
  description = "Cloud Build (2nd gen) repository linked to your GitHub repository: projects/PROJECT/locations/REGION/connections/CONNECTION/repositories/REPOSITORY. Create the connection in the console first (docs/deploy.md)."
  default     = ""

  validation {
    condition     = var.cloudbuild_repository == "" || can(regex("^projects/[^/]+/locations/[^/]+/connections/[^/]+/repositories/[^/]+$", var.cloudbuild_repository))
    error_message = "cloudbuild_repository must look like projects/PROJECT/locations/REGION/connections/CONNECTION/repositories/REPOSITORY."
  }
}

variable "trigger_branch" {
  type        = string
  description = "Branch whose pushes the trigger deploys."
  default     = "main"
}
