"""Test runs only (tests/conftest.py puts this folder on PYTHONPATH): one botocore data loader per process.

botocore parses its endpoint data and each service model (JSON, megabytes for EC2) once per Session, and
amazon.aws opens a new Session for every client. Under mitogen a region's modules all run in one long-lived
interpreter, so a loader shared by the process parses each file once instead of once per client: a provision
rerun takes 47 s instead of 70 s. Nothing else changes: botocore already shares these parsed models, read-only,
between the clients of one Session. Installed lazily, when botocore.loaders is first imported, so a Python
that never uses botocore pays nothing."""

import functools
import importlib.abc
import importlib.util
import sys


def share_loader(loaders):
    """Make botocore.loaders.create_loader return one Loader per search path (botocore.session imports it after)."""
    if not hasattr(loaders.create_loader, "cache_info"):
        loaders.create_loader = functools.lru_cache(maxsize=None)(loaders.create_loader)


class _SharedLoaderFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != "botocore.loaders":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            share_loader(module)

        spec.loader.exec_module = exec_module
        return spec


if "botocore.loaders" in sys.modules:
    share_loader(sys.modules["botocore.loaders"])
else:
    sys.meta_path.insert(0, _SharedLoaderFinder())
