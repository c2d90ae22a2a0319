#!/bin/sh
# Writes the passwords file of the Kubernetes deployment (default: deploy/k8s/base/secrets.env, which
# .gitignore keeps out of git) from deploy/k8s/base/secrets.env.example, with a fresh random value for
# every empty *_PASSWORD. kustomize's secretGenerator turns it into the Secret shipshape-passwords.
# An existing file keeps every value it has: running it twice never changes the passwords that the
# databases' volumes were initialised with; keys that the example has and the file lacks are appended,
# at random too. The same rules as scripts/init-env.sh for .env.
# Usage: sh scripts/k8s-secrets.sh [FILE]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
example=$root/deploy/k8s/base/secrets.env.example
target=${1:-$root/deploy/k8s/base/secrets.env}

random_secret() {
  # 24 random bytes as 48 hex digits: letters and digits only, safe inside a URL
  od -An -N24 -tx1 /dev/urandom | tr -d ' \n'
}

# The KEY=value lines of the example (empty passwords filled at random) whose key FILE ($1) does not
# set; all of them, with the example's comments, when FILE is empty.
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
  done <"$example"
  return 0
}

umask 077
if [ -e "$target" ]; then
  added=$(missing_lines "$target")
  if [ -z "$added" ]; then
    echo "k8s-secrets: $target already exists; left unchanged" >&2
    exit 0
  fi
  printf '%s\n' "$added" >>"$target"
  keys=$(printf '%s\n' "$added" | sed 's/=.*//' | tr '\n' ' ')
  echo "k8s-secrets: $target already exists; kept its values, added ${keys% }" >&2
  exit 0
fi

tmp="$target.tmp.$$"
trap 'rm -f "$tmp"' EXIT
missing_lines "" >"$tmp"
mv "$tmp" "$target"
trap - EXIT
echo "k8s-secrets: wrote $target with random passwords (keep it: the databases are initialised with them)"
