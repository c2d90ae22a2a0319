#!/bin/sh
# Writes the container stack's settings file (default: .env at the repository root) from .env.example,
# with a fresh random value for every empty *_PASSWORD. An existing file keeps every value it has, so
# running it twice never changes the secrets of a stack whose databases were initialised with them;
# settings that .env.example has and the file lacks (a service added since, such as Redis) are
# appended to it, passwords again at random.
# Usage: sh scripts/init-env.sh [FILE]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-$root/.env}

random_secret() {
  # 24 random bytes as 48 hex digits: safe inside a URL, no quoting needed
  od -An -N24 -tx1 /dev/urandom | tr -d ' \n'
}

# The settings lines of .env.example (with random passwords) whose key FILE ($1) does not set; all of
# them when FILE is empty.
missing_lines() {
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      [A-Z]*=*)
        key=${line%%=*}
        if [ -n "$1" ] && grep -q "^[[:space:]]*$key=" "$1"; then continue; fi
        case "$line" in
          [A-Z]*_PASSWORD=) printf '%s%s\n' "$line" "$(random_secret)" ;;
          *) printf '%s\n' "$line" ;;
        esac
        ;;
      *) [ -z "$1" ] && printf '%s\n' "$line" ;;
    esac
  done <"$root/.env.example"
  return 0
}

umask 077
if [ -e "$target" ]; then
  added=$(missing_lines "$target")
  if [ -z "$added" ]; then
    echo "init-env: $target already exists; left unchanged" >&2
    exit 0
  fi
  printf '\n# Added by scripts/init-env.sh (settings of .env.example this file did not have)\n%s\n' "$added" \
    >>"$target"
  keys=$(printf '%s\n' "$added" | sed 's/=.*//' | tr '\n' ' ')
  echo "init-env: $target already exists; kept its values, added ${keys% }" >&2
  exit 0
fi

tmp="$target.tmp.$$"
trap 'rm -f "$tmp"' EXIT
missing_lines "" >"$tmp"
mv "$tmp" "$target"
trap - EXIT
echo "init-env: wrote $target with random passwords (keep it; the database volumes are initialised with them)"
