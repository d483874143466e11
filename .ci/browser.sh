#!/usr/bin/env bash
# Debian's Chromium for the browser test (Playwright drives it through executable_path; it never downloads one).
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser test ..."
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/tmp/chromium-install.log 2>&1 ||
   { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 &&
     DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/tmp/chromium-install.log 2>&1; }) ||
    { echo "Could not install chromium with apt-get (see /tmp/chromium-install.log)."; exit 1; }
  exit 0
fi
echo "The browser test needs Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium' (or make test as root)."
exit 1
