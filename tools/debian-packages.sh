#!/usr/bin/env bash
# Install the Debian packages of debian-packages.txt that are not installed yet (`make setup`).
# Without apt-get (not Debian) it says what to install by hand and exits 0: the browser tests then
# skip with that reason. A failing apt-get fails the setup.
set -euo pipefail
list="${1:-debian-packages.txt}"
missing=()
while read -r pkg _; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < "$list"
[[ ${#missing[@]} -eq 0 ]] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "make setup: no apt-get on this machine: install ${missing[*]} by hand" \
    "(the dashboard's browser tests skip without chromium and chromedriver)" >&2
  exit 0
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "make setup: ${missing[*]} missing and not root (no sudo): install them by hand" >&2; exit 1; }
  sudo=(sudo)
fi
echo "==> apt-get install ${missing[*]} ($list)"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
