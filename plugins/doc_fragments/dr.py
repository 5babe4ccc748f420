# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # Options every multiregion.dr module that waits on AWS shares.
    WAIT = r"""
options:
  wait:
    description:
      - Wait for the operation to finish in AWS before returning.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait when O(wait=true). On time-out the module fails with the last status
        it saw; the operation goes on in AWS, and a rerun with the same arguments picks up where it stopped.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between two status reads while waiting.
    type: float
    default: 5
  connect_timeout:
    description:
      - Seconds to wait for a connection to a regional endpoint. A region that does not answer within
        this time (one attempt, no retries) counts as unreachable, so a dead region never blocks a failover for long.
    type: int
    default: 5
"""

    # Only the connection option, for modules that read and do not wait.
    CONTROL_PLANE = r"""
options:
  when_unreachable:
    description:
      - What to do when the service's API (its control plane, which runs in us-east-1 only) does not answer, as in an
        outage of us-east-1 that takes the Route 53 and CloudFront control planes with it.
      - V(fail) fails the module.
      - V(defer) changes nothing and returns RV(deferred=true) (not failed, not changed); what the service already
        serves keeps working (health-checked DNS answers, CloudFront's origin failover), and running the module again
        once the API answers makes the change. A failover uses it to finish without the global control planes.
      - One short probe call (one attempt) decides, so a dead control plane costs seconds, not retries.
    type: str
    choices: [fail, defer]
    default: fail
"""

    CONNECT = r"""
options:
  connect_timeout:
    description:
      - Seconds to wait for a connection to a regional endpoint. A region that does not answer within
        this time (one attempt, no retries) is reported unreachable instead of failing the module.
    type: int
    default: 5
"""
