#!/usr/bin/env bash
# make demo: rehearse a regional disaster on the local simulator.
#   provision three regions -> status -> outage of us-east-1 -> failover to eu-west-1 -> status -> restore
# Failback (playbooks/failback.yml) joins the demo when it exists.
set -euo pipefail
cd "$(dirname "$0")/.."
export REGIONSIM_PORT="${REGIONSIM_PORT:-4566}"
export AWS_ENDPOINT_URL="http://127.0.0.1:${REGIONSIM_PORT}"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo ANSIBLE_CONFIG="$PWD/ansible.cfg"
started=0
if ! regionsim status >/dev/null 2>&1; then
  regionsim start
  started=1
fi
trap '[ "$started" = 1 ] && regionsim stop' EXIT
step() { printf '\n=== %s\n' "$*"; }

step "A fresh simulator"
regionsim reset
step "Provision the stack in us-east-1 (home), us-west-2 and eu-west-1, regions in parallel"
time ansible-playbook playbooks/provision.yml
step "Live topology"
ansible-playbook playbooks/status.yml
step "us-east-1 goes down"
regionsim outage us-east-1
regionsim status
step "Fail over to eu-west-1"
time ansible-playbook playbooks/failover.yml -e target=eu-west-1
step "Live topology after the failover"
ansible-playbook playbooks/status.yml
step "us-east-1 comes back"
regionsim restore us-east-1
if [ -f playbooks/failback.yml ]; then
  step "Fail back to us-east-1"
  ansible-playbook playbooks/failback.yml
fi
step "Reports"
ls -1 reports/ 2>/dev/null || true
