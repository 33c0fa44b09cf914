# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by bench/run.sh and bench/run-e2e.sh from the tree's root: sets
# commit (HEAD, "-dirty" when the tree has changes other than what the
# benchmarks write themselves), short (its first 10 characters, with
# "-dirty") and stamp (UTC, YYYY-MM-DD-HHMM) for the results' file names.
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# results and README are what the benchmarks write: they do not make a run dirty
if [ -n "$(git status --porcelain -- . ':!bench/results' ':!bench/README.md' 2>/dev/null)" ]; then
    commit="$commit-dirty"
fi
short=$(echo "$commit" | cut -c1-10 | sed 's/-dirty//')
case "$commit" in *-dirty) short="$short-dirty" ;; esac
stamp=$(date -u +%Y-%m-%d-%H%M)
