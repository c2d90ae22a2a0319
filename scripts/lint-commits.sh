#!/bin/sh
# Checks the commit messages against commitlint.config.mjs: every commit since the rule began
# (1cae704 is the last commit before it), or only the newest one in a clone that lacks that commit
# (a shallow clone). Outside a git checkout there is nothing to check.
set -eu
cd "$(dirname "$0")/.."
RULE_BEGAN_AFTER=1cae704
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "lint-commits: not a git checkout; nothing to check" >&2
  exit 0
fi
if git cat-file -e "$RULE_BEGAN_AFTER^{commit}" 2>/dev/null; then
  count=$(git rev-list --count "$RULE_BEGAN_AFTER..HEAD")
  echo "lint-commits: checking $count commit(s) since $RULE_BEGAN_AFTER"
  exec npx --no-install commitlint --from "$RULE_BEGAN_AFTER" --to HEAD
fi
echo "lint-commits: $RULE_BEGAN_AFTER is not in this clone; checking the newest commit only"
exec npx --no-install commitlint --last
