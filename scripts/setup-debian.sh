#!/usr/bin/env bash
# Installs what a fresh Debian 12 (bookworm) machine needs to run and test webgpu-harmony:
#  - a Vulkan driver for Dawn: without a GPU, Mesa's lavapipe from bookworm-backports (Mesa 25);
#    bookworm's own Mesa 22 lavapipe is rejected by Dawn ("Vulkan shaderUniform*ArrayDynamicIndexing
#    required"). A machine with a GPU and its Vulkan driver keeps its driver.
#  - tmux, which the tests use to drive `wgh chat` in a real terminal.
# Idempotent: installs only what is missing.
set -euo pipefail

have_driver() {
  # Any Vulkan ICD manifest counts, except an old (Mesa 22) lavapipe.
  local d
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do
    [ -d "$d" ] || continue
    ls "$d"/*.json >/dev/null 2>&1 || continue
    if [ -f "$d/lvp_icd.json" ] && dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^22\.'; then
      continue
    fi
    return 0
  done
  return 1
}

need_mesa=0
need_tmux=0
if [ "${WGH_FORCE_LAVAPIPE:-0}" = "1" ] || ! have_driver; then need_mesa=1; fi
command -v tmux >/dev/null || need_tmux=1

if [ "$need_mesa" = 0 ] && [ "$need_tmux" = 0 ]; then
  echo "setup: a Vulkan driver and tmux are already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "setup: no apt-get here. Install a Vulkan driver for your GPU (or Mesa >= 23 lavapipe, package mesa-vulkan-drivers) and tmux." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ "$need_mesa" = 1 ] && [ "$codename" = "bookworm" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
fi
$SUDO apt-get update -q
if [ "$need_mesa" = 1 ]; then
  if [ "$codename" = "bookworm" ]; then
    $SUDO apt-get install -y -q -t bookworm-backports mesa-vulkan-drivers
  else
    $SUDO apt-get install -y -q mesa-vulkan-drivers
  fi
  echo "setup: installed $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}' mesa-vulkan-drivers)"
fi
if [ "$need_tmux" = 1 ]; then
  $SUDO apt-get install -y -q tmux
  echo "setup: installed tmux"
fi
