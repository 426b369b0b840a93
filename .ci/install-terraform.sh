#!/usr/bin/env bash
# Installs Terraform for the tests' `terraform fmt -check` of terraform/*.tf (Cloud Build and GitHub Actions
# run it; a development machine may have Terraform already). HashiCorp's release zip, checked against its
# published SHA-256 (the SHA256SUMS file of the release): a changed or truncated download fails the build.
# No Docker Hub image, so no anonymous pull quota. Bump both lines together (docs/deploy.md, "Build pipeline").
set -euo pipefail

TERRAFORM_VERSION=1.11.4
TERRAFORM_SHA256=1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc # terraform_1.11.4_linux_amd64.zip

dest=${1:-/usr/local/bin}
if command -v terraform >/dev/null 2>&1 && terraform version | head -n1 | grep -qx "Terraform v${TERRAFORM_VERSION}"; then
  echo "terraform ${TERRAFORM_VERSION} already installed"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp/terraform.zip" "https://releases.hashicorp.com/terraform/${TERRAFORM_VERSION}/terraform_${TERRAFORM_VERSION}_linux_amd64.zip"
echo "${TERRAFORM_SHA256}  $tmp/terraform.zip" | sha256sum -c -
# python3 rather than unzip: Google's emulators image has python3 (gcloud needs it) and no unzip.
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("terraform", sys.argv[2])' "$tmp/terraform.zip" "$tmp"
install -m 0755 "$tmp/terraform" "$dest/terraform"
terraform version | head -n1
