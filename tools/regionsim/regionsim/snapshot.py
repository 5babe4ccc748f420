"""Named snapshots of every resource in the simulator, kept in memory: save one after a provision, load it
to start again from there (a drill rehearsed twice, a test suite that provisions once).

A snapshot holds moto's backends (every service, account and region in use) and the state the patches keep
beside them, copied together so that references between them stay shared. Loading one first resets the
simulator (outages, faults, latency model, lag, request log), then puts in a fresh copy of the resources, so
a snapshot can be loaded any number of times.
"""

import copy
import copyreg
import threading

from moto.core.base_backend import BackendDict, backend_lock

from . import patches, timeline

_snapshots = {}
_lock = threading.Lock()


def _deepcopy_parameter_dict(self, memo):
    # moto's SSM ParameterDict is a defaultdict whose __init__ takes arguments: copy.deepcopy cannot rebuild it
    clone = type(self)(self.account_id, self.region_name)
    memo[id(self)] = clone
    clone.__dict__.update(copy.deepcopy(self.__dict__, memo))
    for key, value in self.items():
        clone[key] = copy.deepcopy(value, memo)
    return clone


def _copyable():
    """Teach copy.deepcopy (in the simulator's process) what moto's backends hold that it cannot copy."""
    from moto.ssm.models import ParameterDict

    ParameterDict.__deepcopy__ = _deepcopy_parameter_dict
    # locks (an SQS queue's message Condition, ...): a copy gets a new, free lock
    copyreg.pickle(type(threading.Lock()), lambda lock: (threading.Lock, ()))
    copyreg.pickle(type(threading.RLock()), lambda lock: (threading.RLock, ()))


def _resources():
    """{(BackendDict, account): {region: backend}} for every backend in use, and the patches' state."""
    backends = {(backends, account): dict(per_account) for backends in BackendDict._instances for account, per_account in backends.items()}
    return backends, patches.kept_state()


def _kept_objects(backends):
    """deepcopy's memo: moto's BackendDicts and their per-account dicts stay the same objects (moto's modules
    hold them); only the backends in them are copied."""
    memo = {}
    for backend_dict, account in backends:
        memo[id(backend_dict)] = backend_dict
        memo[id(backend_dict[account])] = backend_dict[account]
    return memo


def names():
    with _lock:
        return sorted(_snapshots)


def save(name):
    """Copy every resource as `name` (replacing a snapshot of that name)."""
    if not name:
        raise ValueError("a snapshot needs a name")
    if timeline.SCHEDULER.pending():
        raise ValueError(f"{timeline.SCHEDULER.pending()} status changes are still due (latency model): save when they are done")
    _copyable()
    with backend_lock:
        backends, kept = _resources()
        copied = copy.deepcopy({"backends": backends, "kept": kept}, _kept_objects(backends))
    with _lock:
        _snapshots[name] = copied
    return {"name": name, "backends": sorted({key[0].service_name for key in backends})}


def load(name, reset):
    """Reset the simulator (reset()), then put in a fresh copy of snapshot `name`'s resources."""
    with _lock:
        if name not in _snapshots:
            raise ValueError(f"no snapshot named {name!r}; saved: {', '.join(sorted(_snapshots)) or 'none'}")
        saved = _snapshots[name]
    _copyable()
    with backend_lock:
        fresh = copy.deepcopy(saved, _kept_objects(saved["backends"]))
        reset()
        for (backends, account), regions in fresh["backends"].items():
            per_account = backends[account]  # registers the BackendDict as in use again
            per_account.clear()
            per_account.update(regions)
        patches.restore_state(fresh["kept"])
    return {"name": name}


def delete(name=None):
    """Forget one snapshot, or all of them."""
    with _lock:
        if name is None:
            _snapshots.clear()
        elif _snapshots.pop(name, None) is None:
            raise ValueError(f"no snapshot named {name!r}")
