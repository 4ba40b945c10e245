#!/usr/bin/env bash
# Install the production arm's coding-agent CLIs from the npm registry, at the versions and
# integrity hashes of package-lock.json (npm checks every tarball against it), into
# agents/node_modules; then ripgrep from Debian when it is missing. Nothing is downloaded
# from anywhere else, here or when the CLIs run. Called by `make agents`.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "make agents: Node.js is missing (apt-get install nodejs; Gemini CLI needs Node >= 20)" >&2; exit 2; }
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "make agents: Node.js $(node --version) is too old: Gemini CLI needs >= 20" >&2; exit 2
fi
cp package-lock.json package-lock.json.pinned
trap 'rm -f package-lock.json.pinned' EXIT
# `npm ci` refuses a lock file without every platform's optional binary package, and the
# registry does not hold them all; `npm install` installs exactly what the lock pins for
# this platform (integrity checked) and the check below fails if it moved anything.
npm install --ignore-scripts --no-audit --no-fund --loglevel=error
if ! cmp -s package-lock.json package-lock.json.pinned; then
  cp package-lock.json.pinned package-lock.json
  echo "make agents: npm wanted to change package-lock.json: the pinned versions no longer resolve" >&2; exit 1
fi
# Install scripts stay off; these two only move the platform's binary into place (no download).
(cd node_modules/@anthropic-ai/claude-code && node install.cjs)
(cd node_modules/opencode-ai && node postinstall.mjs)
for cli in opencode claude codex gemini; do
  node_modules/.bin/$cli --version >/dev/null || { echo "make agents: $cli does not start" >&2; exit 1; }
done
if ! command -v rg >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ripgrep >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ripgrep >/dev/null; }
  else
    echo "make agents: ripgrep is missing (apt-get install ripgrep); the CLIs' search tools need it" >&2; exit 2
  fi
fi
echo "agent CLIs installed in $(pwd)/node_modules: $(for c in opencode claude codex gemini; do printf '%s %s; ' $c "$(node_modules/.bin/$c --version 2>/dev/null | head -1)"; done)"
