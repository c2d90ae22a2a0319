#!/bin/sh
# Writes the container stack's settings file (default: .env at the repository root) from .env.example,
# with a fresh random value for every empty *_PASSWORD. An existing file is left alone, so running it
# twice never changes the secrets of a stack whose databases were initialised with them.
# Usage: sh scripts/init-env.sh [FILE]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-$root/.env}

if [ -e "$target" ]; then
  echo "init-env: $target already exists; left unchanged" >&2
  exit 0
fi

random_secret() {
  # 24 random bytes as 48 hex digits: safe inside a URL, no quoting needed
  od -An -N24 -tx1 /dev/urandom | tr -d ' \n'
}

umask 077
tmp="$target.tmp.$$"
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    [A-Z]*_PASSWORD=) printf '%s%s\n' "$line" "$(random_secret)" ;;
    *) printf '%s\n' "$line" ;;
  esac
done <"$root/.env.example" >"$tmp"
mv "$tmp" "$target"
trap - EXIT
echo "init-env: wrote $target with random passwords (keep it; the database volumes are initialised with them)"
