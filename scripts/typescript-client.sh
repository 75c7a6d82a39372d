#!/usr/bin/env bash
# Shows that the OpenAPI document generates a typed client: installs openapi-typescript and typescript from the
# committed lockfile (npm ci), generates miniprogram-api-docs/client/typescript/generated/ecoaid-api.ts from
# miniprogram-api-docs/openapi.json, and type-checks it with usage.ts (login, submit, list, detail, accept).
# Exits non-zero when any step fails. Called by scripts/test.sh, which counts it as one test.
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
cd "$script_dir/../miniprogram-api-docs/client/typescript"

npm ci --no-audit --no-fund --loglevel=error
rm -rf generated
npx --no-install openapi-typescript ../../openapi.json -o generated/ecoaid-api.ts
npx --no-install tsc --noEmit -p .
echo "typescript-client.sh: generated types and usage.ts type-check"
