#!/usr/bin/env bash
# The end-to-end check on the Vagrant layout, after `vagrant up`: gfsdeploy apply builds the
# cluster, then the nodes' own tools, over plain ssh, must show what test/e2e/bringup.test.ts
# asserts on the QEMU test bed: GFS2 mounted on both nodes with the spec's lock table and
# journals, a file written on each node read back byte-identical on the other, DRBD
# Primary/Primary and UpToDate, nothing failed in Pacemaker; then `plan` exits 0 and a second
# `apply` changes nothing.
#
#   vagrant/e2e.sh [SPEC]    SPEC: inventories/vagrant/cluster.yaml (libvirt, the default)
#                                  or inventories/vagrant/cluster.virtualbox.yaml
#
# Run from anywhere, after `npm ci` (which builds dist/). Needs ssh on the host.
set -euo pipefail
cd "$(dirname "$0")/.."

spec=${1:-inventories/vagrant/cluster.yaml}
state=vagrant/.gfsdeploy
# As in the Vagrantfile and the inventories (test/unit/vagrant/ checks that they agree).
declare -A wire=([node1]=10.0.0.1 [node2]=10.0.0.2)
cluster=gfsvagrant

started=$(date +%s)
step() { echo "[vagrant-e2e] $(( $(date +%s) - started )) s: $*"; }
fail() { echo "[vagrant-e2e] FAILED: $*" >&2; exit 1; }

gfsdeploy() { node bin/gfsdeploy.js "$@"; }

# A command on a node as root, with the layout's key and the host keys gfsdeploy recorded.
on() {
  local node=$1
  shift
  ssh -i "$state/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o UserKnownHostsFile="$state/known_hosts" -o StrictHostKeyChecking=yes \
    "root@${wire[$node]}" "$@"
}

step "first apply ($spec)"
# The VMs are new: their host keys are recorded on first contact.
gfsdeploy apply "$spec" --yes --accept-new-host-keys || fail "first apply exited $?"

step "GFS2 mounted on both nodes"
for n in node1 node2; do
  on "$n" "mount -t gfs2" | grep -Eq '^/dev/mapper/vg_gfs-lv_data on /srv/data type gfs2 .*noatime' ||
    fail "$n: no GFS2 on /srv/data: $(on "$n" 'mount -t gfs2')"
done
on node1 "tunegfs2 -l /dev/vg_gfs/lv_data" | grep -qx "Lock table: $cluster:data" || fail "lock table is not $cluster:data"
journals=$(on node1 "gfs2_edit -p journals /dev/vg_gfs/lv_data | grep -c '^journal[0-9]'")
[ "$journals" = 2 ] || fail "$journals journals, not 2"

step "a file written on each node reads back byte-identical on the other"
for pair in "node1 node2" "node2 node1"; do
  read -r writer reader <<<"$pair"
  sum=$(on "$writer" "head -c 4M /dev/urandom > /srv/data/from-$writer && sync && md5sum < /srv/data/from-$writer")
  other=$(on "$reader" "md5sum < /srv/data/from-$writer")
  [ "$sum" = "$other" ] || fail "from-$writer: $writer has $sum, $reader reads $other"
done

step "DRBD Primary/Primary, UpToDate/UpToDate"
for n in node1 node2; do
  [ "$(on "$n" 'drbdadm role r0')" = Primary/Primary ] || fail "$n: r0 role $(on "$n" 'drbdadm role r0')"
  [ "$(on "$n" 'drbdadm dstate r0')" = UpToDate/UpToDate ] || fail "$n: r0 disk state $(on "$n" 'drbdadm dstate r0')"
done

step "Pacemaker: nothing failed, no-quorum-policy=freeze"
mon=$(on node1 "crm_mon -1 --output-as=xml")
grep -q '<failure ' <<<"$mon" && fail "crm_mon lists failures: $(grep '<failure ' <<<"$mon")"
grep -Eq '<resource id="sbd-fence" resource_agent="stonith:fence_sbd" role="Started"' <<<"$mon" || fail "sbd-fence is not started"
[ "$(on node1 'crm_attribute -t crm_config -n no-quorum-policy -G -q')" = freeze ] || fail "no-quorum-policy is not freeze"

step "status"
gfsdeploy status "$spec" || fail "status exited $?"

step "plan after apply: nothing to change"
code=0
gfsdeploy plan "$spec" || code=$?
[ "$code" = 0 ] || fail "plan exited $code (3 = changes pending)"

step "second apply changes nothing"
out=$(gfsdeploy apply "$spec" --yes) || fail "second apply exited $?"
echo "$out"
grep -Eq '^0 changed, 0 to change, 0 pending, [0-9]+ ok, 0 refused, 0 failed, 0 skipped' <<<"$out" || fail "second apply changed something"

step "passed"
