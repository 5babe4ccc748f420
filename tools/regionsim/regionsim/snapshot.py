"""Named snapshots of every resource in the simulator, kept in memory: save one after a provision, load it
to start again from there (a drill rehearsed twice, a test suite that provisions once). A snapshot can also
be written to a file and read back by another simulator process (save/load with a path).

A snapshot holds moto's backends (every service, account and region in use) and the state the patches keep
beside them, copied together so that references between them stay shared. Loading one first resets the
simulator (outages, faults, latency model, lag, request log), then puts in a fresh copy of the resources, so
a snapshot can be loaded any number of times.
"""

import collections
import copy
import copyreg
import functools
import importlib
import inspect
import io
import os
import pickle
import sys
import threading

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
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


def _owners(backends):
    """{id(BackendDict or its per-account dict): its name across processes}: (module, attribute[, account])."""
    wanted = {id(backend_dict): backend_dict for backend_dict, _account in backends}
    names = {}
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("moto.") and module is not None:
            for attribute, value in list(vars(module).items()):
                if id(value) in wanted and value is wanted[id(value)]:
                    names.setdefault(id(value), (module_name, attribute))
    persistent = {}
    for backend_dict, account in backends:
        if id(backend_dict) not in names:
            raise ValueError(f"no moto module holds the {backend_dict.service_name} backends: cannot write them to a file")
        persistent[id(backend_dict)] = names[id(backend_dict)]
        persistent[id(backend_dict[account])] = names[id(backend_dict)] + (account,)
    return persistent


class _Pickler(pickle.Pickler):
    """moto's BackendDicts are written as their module and name (the reader's own are used), private keys
    (KMS) as DER bytes; locks go through _copyable()'s copyreg entries, as in deepcopy."""

    def __init__(self, file, persistent):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._persistent = persistent

    def persistent_id(self, obj):  # pylint: disable=method-hidden
        return self._persistent.get(id(obj))

    def reducer_override(self, obj):
        if isinstance(obj, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
            der = obj.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            return _private_key, (der,)
        if isinstance(obj, collections.defaultdict):
            factory = _portable_factory(obj.default_factory) if _is_local(obj.default_factory) else obj.default_factory
            if type(obj) is collections.defaultdict:
                return collections.defaultdict, (factory,), None, None, iter(obj.items())
            # a subclass whose __init__ takes other arguments (moto's SSM ParameterDict)
            return _new_defaultdict, (type(obj), factory), vars(obj), None, iter(obj.items())
        return NotImplemented


def _is_local(function):
    qualname = getattr(function, "__qualname__", "")
    return "<lambda>" in qualname or "<locals>" in qualname


def _portable_factory(factory):
    """A picklable factory making what a lambda default_factory (moto: lambda: defaultdict(dict)) makes."""
    sample = factory()
    if type(sample) is collections.defaultdict:
        inner = sample.default_factory
        return functools.partial(collections.defaultdict, _portable_factory(inner) if _is_local(inner) else inner)
    if type(sample) in (dict, list, set, int, float, str, tuple):
        return type(sample)
    raise pickle.PicklingError(f"cannot write a defaultdict whose factory {factory.__qualname__} makes a {type(sample).__name__}")


def _new_defaultdict(cls, factory):
    made = cls.__new__(cls)
    collections.defaultdict.__init__(made, factory)
    return made


def _private_key(der):
    return serialization.load_der_private_key(der, password=None)


# What a snapshot file may name besides moto's and regionsim's own classes: the standard types moto's models
# hold and the few callables the writer uses to rebuild objects. Anything else (os.system, builtins.eval,
# subprocess.Popen, a module's function) is refused: a snapshot file is data, never code.
_STANDARD = {
    "builtins": {"set", "frozenset", "bytearray", "bytes", "complex", "slice", "range", "object", "dict", "list",
                 "tuple", "str", "int", "float", "bool", "type", "NoneType"},
    "collections": {"OrderedDict", "defaultdict", "deque", "Counter"},
    "datetime": {"datetime", "date", "time", "timedelta", "timezone", "tzinfo"},
    "decimal": {"Decimal"},
    "uuid": {"UUID", "SafeUUID"},
    "ipaddress": {"IPv4Address", "IPv6Address", "IPv4Network", "IPv6Network", "IPv4Interface", "IPv6Interface"},
    "copyreg": {"_reconstructor", "__newobj__", "__newobj_ex__"},
    "functools": {"partial"},
    "_thread": {"allocate_lock", "RLock", "LockType", "lock"},
    "threading": {"Lock", "RLock", "_RLock", "Condition", "Event", "Semaphore", "BoundedSemaphore"},
    "re": {"_compile"},
    "enum": {"Enum"},
    "dateutil.tz.tz": {"tzutc", "tzlocal", "tzoffset"},
    "regionsim.snapshot": {"_private_key", "_new_defaultdict"},
}
# packages whose classes (defined there, not imported) a snapshot holds: moto's models, the patches' state
_OWN_PACKAGES = ("moto.", "regionsim.")


def _own_method(obj, name):
    """What builtins.getattr may give in a snapshot file: a bound method of a moto or regionsim object (moto keeps
    some as attributes, e.g. filter tables); never a dunder attribute, a module global or any other value."""
    owner = obj if isinstance(obj, type) else type(obj)
    if isinstance(name, str) and not name.startswith("__") and owner.__module__.startswith(_OWN_PACKAGES):
        found = getattr(obj, name, None)
        if inspect.ismethod(found) and found.__self__ is obj:
            return found
    raise pickle.UnpicklingError(f"getattr({owner.__qualname__}, {name!r}) is not a method of a moto object: refused")


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("builtins", "getattr"):
            return _own_method
        if name in _STANDARD.get(module, ()):
            return super().find_class(module, name)
        if module.startswith(_OWN_PACKAGES):
            found = super().find_class(module, name)
            # a class of that package (a nested one too), not a function or something it imported
            if isinstance(found, type) and found.__module__ == module and found.__qualname__ == name and "<" not in name:
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not something a regionsim snapshot holds: refused")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) in (2, 3) and str(pid[0]).startswith("moto.")):
            raise pickle.UnpicklingError(f"unexpected reference {pid!r} in a snapshot file: refused")
        backend_dict = getattr(importlib.import_module(pid[0]), pid[1], None)
        if not isinstance(backend_dict, BackendDict):
            raise pickle.UnpicklingError(f"{pid[0]}.{pid[1]} is not a moto BackendDict: refused")
        return backend_dict[pid[2]] if len(pid) == 3 else backend_dict


def _write(path, copied):
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, _owners(copied["backends"])).dump(copied)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        partial = f"{path}.{os.getpid()}.partial"
        with open(partial, "wb") as handle:
            handle.write(buffer.getvalue())
        os.replace(partial, path)  # a reader sees the whole file or none
    except (pickle.PicklingError, AttributeError, OSError) as exc:
        raise ValueError(f"cannot write the snapshot to {path}: {exc}") from exc


def _read(path):
    try:
        with open(path, "rb") as handle:
            return _Unpickler(handle).load()
    except FileNotFoundError:
        raise ValueError(f"no snapshot file {path}") from None
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, OSError) as exc:
        raise ValueError(f"cannot read the snapshot file {path} (written by another moto or regionsim?): {exc}") from exc


def names():
    with _lock:
        return sorted(_snapshots)


def _untracked(copier):
    """(copier(), [(class, instance)]): what copier made, with the S3 keys and multipart uploads it made taken out of
    moto's instance tracking. moto's S3 reset closes the file of every tracked key: a snapshot's keys must outlive the
    resets, and a loaded copy's keys the reset that precedes them (_track puts them back once they are live)."""
    from moto.s3.models import FakeKey, FakeMultipart

    known = {cls: {id(instance) for instance in cls.instances_tracked} for cls in (FakeKey, FakeMultipart)}
    copied = copier()
    made = []
    for cls, ids in known.items():
        made += [(cls, instance) for instance in cls.instances_tracked if id(instance) not in ids]
        cls.instances_tracked[:] = [instance for instance in cls.instances_tracked if id(instance) in ids]
    return copied, made


def _track(made):
    for cls, instance in made:
        cls.instances_tracked.append(instance)


def save(name, path=None):
    """Copy every resource as `name` (replacing a snapshot of that name), and write it to path if given."""
    if not name:
        raise ValueError("a snapshot needs a name")
    if timeline.SCHEDULER.pending():
        raise ValueError(f"{timeline.SCHEDULER.pending()} status changes are still due (latency model): save when they are done")
    _copyable()
    with backend_lock:
        backends, kept = _resources()
        copied, _made = _untracked(lambda: copy.deepcopy({"backends": backends, "kept": kept}, _kept_objects(backends)))
    if path:
        _write(path, copied)
    with _lock:
        _snapshots[name] = copied
    return {"name": name, "backends": sorted({key[0].service_name for key in backends}), "path": path}


def load(name, reset, path=None):
    """Reset the simulator (reset()), then put in a fresh copy of snapshot `name`'s resources (read from path
    first, when given: it replaces a snapshot of that name)."""
    if path:
        read, _made = _untracked(lambda: _read(path))
        with _lock:
            _snapshots[name] = read
    with _lock:
        if name not in _snapshots:
            raise ValueError(f"no snapshot named {name!r}; saved: {', '.join(sorted(_snapshots)) or 'none'}")
        saved = _snapshots[name]
    _copyable()
    with backend_lock:
        fresh, made = _untracked(lambda: copy.deepcopy(saved, _kept_objects(saved["backends"])))
        reset()
        _track(made)
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
