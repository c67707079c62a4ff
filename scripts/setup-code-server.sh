#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the newest that runs on Node 20) into .vscode-test/, offline from
# the npm registry alone: install scripts that would download from elsewhere are skipped and the native modules
# are rebuilt locally. The extension test runner starts its bundled VS Code server directly.
# Needs (apt): ripgrep libkrb5-dev build-essential python3. Idempotent: exits at once when already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.100.3
DEST=.vscode-test/code-server-$VERSION
CS=$DEST/node_modules/code-server
if [ -f "$CS/.fleet-ready" ]; then
  echo "code-server $VERSION ready"
  exit 0
fi
mkdir -p "$DEST"
echo '{"name":"fleet-code-server","private":true}' > "$DEST/package.json"
(cd "$DEST" && npm i --no-audit --no-fund --ignore-scripts "code-server@$VERSION" >/dev/null)
(cd "$CS/lib/vscode" && npm i --no-audit --no-fund --omit=dev --ignore-scripts >/dev/null)
mkdir -p "$CS/lib/vscode/node_modules/@vscode/ripgrep/bin"
ln -sf "$(command -v rg)" "$CS/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
(cd "$CS/lib/vscode" && npm_config_yes=true npm rebuild node-pty @vscode/spdlog native-watchdog @vscode/deviceid kerberos >/dev/null 2>&1 || npm_config_yes=true npm rebuild node-pty @vscode/spdlog >/dev/null)
(cd "$CS/lib/vscode" && ln -sfn node_modules node_modules.asar)
(cd "$CS/lib/vscode/extensions" && npm i --no-audit --no-fund --omit=dev --ignore-scripts >/dev/null 2>&1 && npm rebuild >/dev/null 2>&1) || true
touch "$CS/.fleet-ready"
echo "code-server $VERSION installed"
