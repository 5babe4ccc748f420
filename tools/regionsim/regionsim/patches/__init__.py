"""Patches that make moto 5.2.5 follow real AWS (shared notes: moto-gaps.md, aws-dr-facts.md).

Each module here has apply() (idempotent: patch moto classes) and may have KEPT, the names of its
dicts of simulator-side state kept beside moto's backends (cleared by reset_all(), copied by
snapshots). apply_all() runs them all.
"""

import importlib

from ..state import STATE

MODULES = ("ec2", "route53", "rds", "elasticache", "autoscaling", "kms", "dynamodb", "cloudwatch", "backup", "cloudfront", "s3", "iam")
_applied = False


def _each():
    for name in MODULES:
        try:
            yield importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise


def apply_all():
    global _applied
    if _applied:
        return
    for module in _each():
        module.apply()
    _applied = True


def reset_all():
    with STATE.lock:
        for kept in kept_state().values():
            for value in kept.values():
                value.clear()


def kept_state():
    """{module name: {dict name: dict}}: the state the patches keep beside moto's backends (not copied)."""
    return {module.__name__: {name: getattr(module, name) for name in module.KEPT} for module in _each() if getattr(module, "KEPT", ())}


def restore_state(state):
    """Put kept_state()'s dicts back, in place (other modules may hold them)."""
    with STATE.lock:
        for module in _each():
            for name, value in state.get(module.__name__, {}).items():
                kept = getattr(module, name)
                kept.clear()
                kept.update(value)
