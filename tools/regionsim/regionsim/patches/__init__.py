"""Patches that make moto 5.2.5 follow real AWS (shared notes: moto-gaps.md, aws-dr-facts.md).

Each module here has apply() (idempotent: patch moto classes) and may have reset()
(clear simulator-side state kept beside moto's backends). apply_all() runs them all.
"""

import importlib

MODULES = ("ec2", "route53", "rds", "elasticache", "autoscaling", "kms", "dynamodb", "cloudwatch", "backup", "cloudfront", "s3")
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
    for module in _each():
        reset = getattr(module, "reset", None)
        if reset:
            reset()
