"""The application's configuration: the SSM parameters the app_config role writes under /<app>/config/."""

import dataclasses

REQUIRED = ("active_region", "write_endpoint", "read_endpoints", "region")
MYSQL_PORT = 3306


class ConfigError(Exception):
    """The configuration is missing or malformed: the message names the parameter and what is allowed."""


@dataclasses.dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    @classmethod
    def parse(cls, text, name, default_port=MYSQL_PORT):
        """'host' or 'host:port' (the data plane serves every database on 127.0.0.1 with its own port)."""
        text = (text or "").strip()
        host, sep, port = text.rpartition(":") if ":" in text else (text, "", "")
        if not host:
            raise ConfigError(f"{name}={text!r} is not an endpoint: expected host or host:port")
        if sep:
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise ConfigError(f"{name}={text!r} has port {port!r}: expected a number from 1 to 65535")
            return cls(host, int(port))
        return cls(host, default_port)

    def __str__(self):
        return f"{self.host}:{self.port}"


@dataclasses.dataclass(frozen=True)
class Config:
    app: str
    region: str
    active_region: str
    writer: Endpoint
    readers: tuple
    redis: Endpoint | None

    @property
    def reader(self):
        """This region's own database first (app_config lists the region's database)."""
        return self.readers[0]


def prefix_of(app):
    if not app or "/" in app:
        raise ConfigError(f"application name {app!r} is not allowed: non-empty, without '/'")
    return f"/{app}/config/"


def from_parameters(app, values):
    """values: {parameter name without the prefix: value}; every missing or bad one is named at once."""
    missing = [name for name in REQUIRED if not values.get(name)]
    if missing:
        raise ConfigError(f"SSM parameters missing under {prefix_of(app)}: {', '.join(missing)} "
                          "(written by the multiregion.dr.app_config role)")
    readers = tuple(Endpoint.parse(item, "read_endpoints") for item in values["read_endpoints"].split(",") if item.strip())
    if not readers:
        raise ConfigError(f"{prefix_of(app)}read_endpoints is empty: expected host[:port],...")
    redis = Endpoint.parse(values["redis_endpoint"], "redis_endpoint", 6379) if values.get("redis_endpoint") else None
    return Config(app=app, region=values["region"], active_region=values["active_region"],
                  writer=Endpoint.parse(values["write_endpoint"], "write_endpoint"), readers=readers, redis=redis)


def load(ssm, app):
    """Read this region's configuration from SSM (one GetParametersByPath)."""
    prefix = prefix_of(app)
    values = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=prefix, Recursive=False):
        for parameter in page["Parameters"]:
            values[parameter["Name"][len(prefix):]] = parameter["Value"]
    return from_parameters(app, values)
