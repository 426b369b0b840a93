terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.50"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # State is local by default. For a team, keep it in a GCS bucket instead (it can hold the generated
  # ACCESS_TOKEN_SECRET when generate_access_token_secret = true): see docs/deploy.md, "Terraform state".
  # backend "gcs" {
  #   bucket = "YOUR_PROJECT_ID-tfstate"
  #   prefix = "contacts-mcp"
  # }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
