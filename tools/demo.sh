#!/usr/bin/env bash
# make demo: a fresh simulator and the three regions it serves. (The failover issue extends
# this to provision, outage, failover, failback and the RTO/RPO report.)
set -euo pipefail
cd "$(dirname "$0")/.."
started=0
if ! regionsim status >/dev/null 2>&1; then
  regionsim start
  started=1
fi
trap '[ "$started" = 1 ] && regionsim stop' EXIT
regionsim reset
regionsim status
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo
for region in us-east-1 us-west-2 eu-west-1; do
  printf '%-10s ' "$region"
  aws --endpoint-url "http://127.0.0.1:${REGIONSIM_PORT:-4566}" --region "$region" ec2 describe-availability-zones \
    --query 'AvailabilityZones[].ZoneName' --output text
done
