#!/usr/bin/env bash
# Same output: builds a site and its export files from the same history, aliases and status
# files at the same --now with OLD_REV and with the working tree, and compares the two output
# folders byte by byte (xlsx files part by part) after every step: a full build, then `run`s
# (collect + incremental build) on later status files.
#
#   scripts/compare-output.sh OLD_REV [KIND...]     KIND: demo, d (default: both)
#
# OLD_REV is checked out in a temporary git worktree (node_modules hard-linked from this
# one) and built with `npm run build`; so is the working tree. Exit 0 when all agree.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 OLD_REV [demo|d ...]" >&2
  exit 2
fi
OLD_REV=$1
shift
KINDS=("$@")
[ ${#KINDS[@]} -eq 0 ] && KINDS=(demo d)

ROOT=$(git rev-parse --show-toplevel)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/compare-output.XXXXXX")
cleanup() {
  git -C "$ROOT" worktree remove --force "$TMP/old" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# A fixed instant in the past: status files' mtimes are set a second before each step.
START=${COMPARE_START:-2026-03-27T14:05:00.000Z}
ZONE=${COMPARE_TZ:-Europe/Berlin}

echo "compare-output: $OLD_REV ($(git -C "$ROOT" rev-parse --short "$OLD_REV")) vs the working tree, in $TMP"
git -C "$ROOT" worktree add --quiet --detach "$TMP/old" "$OLD_REV"
cp -al "$ROOT/node_modules" "$TMP/old/node_modules"
(cd "$TMP/old" && npm run build --silent >"$TMP/old-build.log" 2>&1) || { cat "$TMP/old-build.log" >&2; exit 1; }
(cd "$ROOT" && npm run build --silent >"$TMP/new-build.log" 2>&1) || { cat "$TMP/new-build.log" >&2; exit 1; }

# Version stamps: none so far (the pages' "generated" line carries --now, not the clock).
normalise() {
  cat "$1"
}

# Compares folders A and B; prints each difference; returns 1 if any.
compare_dirs() {
  local a=$1 b=$2 bad=0 f
  if ! diff <(cd "$a" && find . -type f | sort) <(cd "$b" && find . -type f | sort) >"$TMP/list.diff"; then
    echo "  file lists differ:"
    sed 's/^/    /' "$TMP/list.diff" | head -40
    bad=1
  fi
  while IFS= read -r f; do
    [ -f "$b/$f" ] || continue
    if cmp -s "$a/$f" "$b/$f"; then continue; fi
    case "$f" in
      *.xlsx)
        rm -rf "$TMP/xa" "$TMP/xb"
        mkdir -p "$TMP/xa" "$TMP/xb"
        unzip -q "$a/$f" -d "$TMP/xa"
        unzip -q "$b/$f" -d "$TMP/xb"
        if ! compare_dirs "$TMP/xa" "$TMP/xb" >"$TMP/xlsx.diff"; then
          echo "  $f: parts differ:"
          sed 's/^/  /' "$TMP/xlsx.diff" | head -20
          bad=1
        fi
        ;;
      *)
        if ! cmp -s <(normalise "$a/$f") <(normalise "$b/$f"); then
          echo "  $f differs:"
          diff <(normalise "$a/$f") <(normalise "$b/$f") | head -6 | cut -c1-300 | sed 's/^/    /'
          bad=1
        fi
        ;;
    esac
  done < <(cd "$a" && find . -type f | sort)
  return $bad
}

failed=0
for kind in "${KINDS[@]}"; do
  input="$TMP/input-$kind"
  mkdir -p "$input"
  (cd "$ROOT" && node --import tsx scripts/compare-input.ts "$input" "$kind" "$START")
  for side in old new; do
    mkdir -p "$TMP/$side-$kind"
    cp -p "$input"/* "$TMP/$side-$kind/"
  done
  while read -r k at; do
    for side in old new; do
      dir="$TMP/$side-$kind"
      cli="$TMP/old/dist/cli.js"
      [ "$side" = new ] && cli="$ROOT/dist/cli.js"
      common=(--history "$dir/openvpn-sessions.csv" --aliases "$dir/aliases.json" --out "$dir/site" --tz "$ZONE" --lang de --now "$at" --quiet)
      if [ "$k" = 0 ]; then
        node "$cli" build "${common[@]}"
      else
        cp -p "$dir/status-$k.log" "$dir/openvpn-status.log"
        node "$cli" run --status "$dir/openvpn-status.log" "${common[@]}"
      fi
    done
    if compare_dirs "$TMP/old-$kind/site" "$TMP/new-$kind/site" >"$TMP/result.txt"; then
      echo "$kind step $k ($at, $([ "$k" = 0 ] && echo build || echo run)): $(cd "$TMP/new-$kind/site" && find . -type f | wc -l) files, identical"
    else
      echo "$kind step $k ($at): DIFFERENT"
      cat "$TMP/result.txt"
      failed=1
    fi
  done <"$input/steps.txt"
done
exit $failed
