#!/usr/bin/env bash
# Installs what a fresh Debian 12 (bookworm) machine needs to run webgpu-harmony without a GPU:
# Mesa's lavapipe Vulkan driver from bookworm-backports (Mesa 25). bookworm's own Mesa 22 lavapipe
# is rejected by Dawn ("Vulkan shaderUniform*ArrayDynamicIndexing required").
# On a machine with a GPU and its Vulkan driver this script changes nothing. Idempotent.
set -euo pipefail

have_driver() {
  # Any Vulkan ICD manifest other than an old (Mesa < 23) lavapipe counts.
  local d
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do
    [ -d "$d" ] || continue
    if ls "$d"/*.json >/dev/null 2>&1; then
      if [ -f "$d/lvp_icd.json" ] && dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^2[2]\.'; then
        continue
      fi
      return 0
    fi
  done
  return 1
}

if [ "${WGH_FORCE_LAVAPIPE:-0}" != "1" ] && have_driver; then
  echo "setup: a Vulkan driver is already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "setup: no apt-get here. Install a Vulkan driver for your GPU, or Mesa >= 23 lavapipe (package mesa-vulkan-drivers)." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ "$codename" = "bookworm" ]; then
  list=/etc/apt/sources.list.d/bookworm-backports.list
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee "$list" >/dev/null
  fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q -t bookworm-backports mesa-vulkan-drivers tmux
else
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q mesa-vulkan-drivers tmux
fi
echo "setup: installed $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}' mesa-vulkan-drivers)"
