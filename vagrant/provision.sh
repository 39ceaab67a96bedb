#!/usr/bin/env bash
# Makes a Vagrant box what gfsdeploy expects of a node, as the QEMU test bed's image recipe
# does (src/testbed/recipe.ts): the cluster packages, root reachable with the layout's key,
# node names on the cluster wire, a watchdog for sbd, and sbd not yet started.
# Run by Vagrant as root; safe to run again (`vagrant provision`), also after gfsdeploy apply.
#
# From the Vagrantfile:
#   GFSDEPLOY_AUTHORIZED_KEY  the public key gfsdeploy logs in with
#   GFSDEPLOY_HOSTS           "10.0.0.1 node1,10.0.0.2 node2"
set -euo pipefail

: "${GFSDEPLOY_AUTHORIZED_KEY:?set by the Vagrantfile}"
: "${GFSDEPLOY_HOSTS:?set by the Vagrantfile}"

# The same packages as the test bed's image. No recommends, as there: they pull in a desktop's
# worth of extras. pacemaker-cli-utils is only a Recommends of pacemaker, but `pcs status`
# and `pcs cluster start --wait` fail without crm_mon.
packages=(
  corosync pacemaker pacemaker-cli-utils pcs dlm-controld lvm2 lvm2-lockd drbd-utils gfs2-utils
  fence-agents sbd resource-agents fio libxml2-utils sg3-utils python3 iperf3 ctdb psmisc
)
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${packages[@]}"

# DRBD 8.4, GFS2 and DLM come from the box's kernel. Debian's generic kernel has them; a box
# with a trimmed kernel (linux-image-cloud-amd64 lacks drbd) fails here, not in the middle
# of gfsdeploy apply.
for module in drbd gfs2 dlm; do
  modinfo "$module" >/dev/null 2>&1 || {
    echo "provision: the box's kernel $(uname -r) has no $module module; use a box with linux-image-amd64 (GFSDEPLOY_BOX)" >&2
    exit 1
  }
done

# gfsdeploy logs in as root (it writes under /etc, runs pcs, drbdadm, mkfs.gfs2) with the
# layout's own key. Key-only root logins, whatever the box's sshd_config says: this file is
# read first, and for sshd the first value wins.
install -d -m 0700 /root/.ssh
touch /root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
grep -qxF "$GFSDEPLOY_AUTHORIZED_KEY" /root/.ssh/authorized_keys || echo "$GFSDEPLOY_AUTHORIZED_KEY" >>/root/.ssh/authorized_keys
echo "PermitRootLogin prohibit-password" >/etc/ssh/sshd_config.d/00-gfsdeploy.conf
systemctl reload ssh

# Node names resolve to their cluster-wire addresses on every node, and never to loopback:
# Debian maps the hostname to 127.0.1.1, which would make corosync and pcs talk to
# themselves. gfsdeploy adds its own block for the same names; lines that map the names
# elsewhere would shadow it if they came first, so they go.
sed -i -E '/^127\.0\.1\.1[[:space:]]/d' /etc/hosts
IFS=, read -r -a entries <<<"$GFSDEPLOY_HOSTS"
for entry in "${entries[@]}"; do
  name=${entry#* }
  # Every line naming the node, except gfsdeploy's own block (marked lines are left alone).
  awk -v name="$name" '
    /^# BEGIN gfsdeploy/ { inblock = 1 } /^# END gfsdeploy/ { inblock = 0; print; next }
    inblock { print; next }
    { for (i = 2; i <= NF; i++) if ($i == name) next; print }
  ' /etc/hosts >/etc/hosts.gfsdeploy-new
  cat /etc/hosts.gfsdeploy-new >/etc/hosts
  rm -f /etc/hosts.gfsdeploy-new
  echo "$entry" >>/etc/hosts
done

# The watchdog sbd uses (the inventory's stonith.sbd.watchdog: /dev/watchdog0).
# - libvirt: the i6300esb (PCI 8086:25ab) the Vagrantfile adds. On a q35 machine the chipset's
#   iTCO watchdog would also appear, possibly as watchdog0, and QEMU does not reset the guest
#   when it fires: keep it out, as the test bed does.
# - VirtualBox emulates no watchdog: softdog, loaded at every boot from now on.
echo "blacklist iTCO_wdt" >/etc/modprobe.d/no-itco.conf
i6300esb=no
for dev in /sys/bus/pci/devices/*; do
  if [ "$(cat "$dev/vendor")" = 0x8086 ] && [ "$(cat "$dev/device")" = 0x25ab ]; then i6300esb=yes; fi
done
if [ "$i6300esb" = yes ]; then
  # udev loads it by its PCI id anyway; listed so it is loaded at boot whatever the box does.
  echo i6300esb >/etc/modules-load.d/i6300esb.conf
  modprobe i6300esb
  want="i6300ESB timer"
else
  echo softdog >/etc/modules-load.d/softdog.conf
  modprobe softdog
  want="Software Watchdog"
fi
have=$(cat /sys/class/watchdog/watchdog0/identity 2>/dev/null || echo none)
if [ "$have" != "$want" ]; then
  # Typically iTCO_wdt, loaded before the blacklist existed, holds watchdog0 until a reboot.
  echo "provision: /dev/watchdog0 is \"$have\", not \"$want\"; run \`vagrant reload\` so it is" >&2
  exit 1
fi

# The package enables sbd, but without a configured device sbd fails and takes corosync and
# pacemaker down with it. gfsdeploy enables it once the SBD disk has its header; a later
# `vagrant provision` must not undo that, so only a box gfsdeploy has not configured is touched.
if ! grep -q '^# Managed by gfsdeploy' /etc/default/sbd 2>/dev/null; then
  systemctl disable sbd.service sbd_remote.service
fi

# ctdb is here for its ping_pong (gfsdeploy bench); its daemon would try to run a CTDB cluster.
systemctl disable --now ctdb.service

echo "provision: $(hostname) ready for gfsdeploy"
