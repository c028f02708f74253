#!/usr/bin/env bash
# Refresh constraints.txt, the lock that CI and the README's test command install from: every
# package (runtime, test, docs, benchmark and build tools) at one tested version. Run it from
# the repository root, then run `bash .ci/run` and commit both:
#   bash scripts/refresh_constraints.sh
# The ranges in pyproject.toml stay ranges (crmcore is a library); only the lock pins.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --upgrade pip
extras="$(python3 -c 'import tomllib; print(",".join(sorted(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"])))')"
"$tmp/venv/bin/python" -m pip install --quiet -e ".[$extras]" hatchling
{
  echo "# The lock for CI and the README's test command; refresh with scripts/refresh_constraints.sh"
  echo "# (made on Python $("$tmp/venv/bin/python" -c 'import sys; print(sys.version.split()[0])'), extras: $extras)."
  "$tmp/venv/bin/python" -m pip freeze --all --exclude-editable | grep -v '^setuptools=='
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) packages pinned"
