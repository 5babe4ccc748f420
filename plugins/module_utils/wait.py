# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting on AWS state with a deadline: one loop for every long operation."""

import time

from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS, CONNECTION_ARGUMENT_SPEC

# The options of the multiregion.dr.dr.wait doc fragment, with its defaults.
WAIT_ARGUMENT_SPEC = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=1800),
    poll_interval=dict(type="float", default=5),
    **CONNECTION_ARGUMENT_SPEC,
)


class WaitTimeout(Exception):
    def __init__(self, what, timeout, last, seen):
        self.what, self.timeout, self.last, self.seen = what, timeout, last, seen
        super().__init__(
            f"timed out after {timeout} s waiting for {what}; last seen: {last!r}; "
            f"statuses seen: {', '.join(map(str, seen)) or 'none'}. The operation goes on in AWS: "
            "rerun with the same arguments (or a longer wait_timeout) to pick up where this stopped."
        )


def add_statuses(statuses, seen, prefix=""):
    """Append the statuses seen to a module's record of them, without repeating the last one."""
    for status in seen:
        status = f"{prefix}{status}"
        if not statuses or statuses[-1] != status:
            statuses.append(status)


def wait_until(describe, done, what, timeout, delay=2.0, status_of=None, fail_on=None):
    """Poll describe() until done(result) is true or timeout seconds pass.

    status_of(result) names the state for the record of statuses seen (the "seen" list that
    modules return so a caller can tell which intermediate states AWS went through);
    fail_on(result) may return an error text to stop at once. Returns (result, seen).
    """
    deadline = time.monotonic() + timeout
    seen = []
    delay = max(0.05, delay)
    while True:
        result = describe()
        status = status_of(result) if status_of else None
        if status is not None and (not seen or seen[-1] != status):
            seen.append(status)
        if done(result):
            return result, seen
        if fail_on:
            error = fail_on(result)
            if error:
                raise RuntimeError(f"{what}: {error}")
        if time.monotonic() >= deadline:
            raise WaitTimeout(what, timeout, status, seen)
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))


def wait_or_fail(module, describe, done, what, status_of=None, statuses=None, prefix="", fail=None, note=""):
    """wait_until() with the module's wait_timeout and poll_interval; on time-out the module fails.

    The statuses seen (time-out included) are added to the list statuses when given (add_statuses).
    fail(msg) reports the time-out (a module's own fail with its extra return values; module.fail_json
    by default); note is appended to the time-out message. Returns the last result of describe().
    """
    params = module.params
    try:
        result, seen = wait_until(describe, done, what, params["wait_timeout"], params["poll_interval"], status_of)
    except AWS_ERRORS as exc:  # a poll failed (access denied, say): a clear failure through the caller's fail, not a traceback
        message = f"AWS answered with an error while waiting for {what}: {exc}.{note}"
        if fail:
            fail(message)
        module.fail_json_aws(exc, msg=message)
    except WaitTimeout as exc:
        if statuses is not None:
            add_statuses(statuses, exc.seen, prefix)
        (fail or (lambda msg: module.fail_json(msg=msg)))(str(exc) + note)
        raise  # not reached: fail() exits the module
    if statuses is not None:
        add_statuses(statuses, seen, prefix)
    return result
