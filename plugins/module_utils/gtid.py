# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transactions one MySQL or MariaDB server holds and another lacks, from their global transaction IDs.

A failback retires the old primary: whatever it committed that never reached the database that took over
(writes acknowledged in the seconds before its region went out, or taken after the failover by a client
that still wrote to it) exists only there. RDS's API does not show this; the servers' GTIDs do.

- MySQL: ``gtid_executed`` is a set (``uuid[:tag]:1-5:7``, comma separated); the difference is exact.
- MariaDB: ``gtid_binlog_state`` keeps the last sequence number per (domain, server). A domain's sequence
  numbers are shared by every server that wrote in it, so what the old server wrote after the last of its
  transactions the new primary has is counted as the whole range: an upper bound (``exact`` is false),
  never less than the truth. A server whose transactions the new primary never saw counts from 1.

Input in both cases is the rows of ``SHOW GLOBAL VARIABLES`` (name -> value), which both servers answer.
"""

import re

try:
    import pymysql

    HAS_PYMYSQL = True
except ImportError:  # only read_rows() needs it: the comparison itself is plain Python
    HAS_PYMYSQL = False

# read_only too: a planned promotion's proof needs the fence in effect on the source server, not only in its parameter group
QUERY = "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('gtid_mode', 'gtid_executed', 'gtid_binlog_state', 'read_only')"

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TAG = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,31}$")
_MARIADB_GTID = re.compile(r"^(\d+)-(\d+)-(\d+)$")


class GtidError(ValueError):
    """A GTID text that is not what MySQL or MariaDB writes."""


def variables_of(rows):
    """{name: value} from SHOW GLOBAL VARIABLES rows ({"Variable_name", "Value"}), names lower case."""
    return {str(row["Variable_name"]).lower(): "" if row["Value"] is None else str(row["Value"]) for row in rows or []}


def parse_mysql(text):
    """{(uuid, tag): [(first, last), ...]} of a MySQL GTID set (tag is '' for untagged transactions)."""
    result = {}
    for element in re.sub(r"\s+", "", text or "").split(","):
        if not element:
            continue
        parts = element.split(":")
        if not _UUID.match(parts[0]):
            raise GtidError(f"{element!r} is not a MySQL GTID set element (uuid:first-last)")
        uuid, tag = parts[0].lower(), ""
        for part in parts[1:]:
            if _TAG.match(part):
                tag = part.lower()
                continue
            match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
            if not match or int(match.group(2) or match.group(1)) < int(match.group(1)):
                raise GtidError(f"{element!r}: {part!r} is not an interval (first-last)")
            result.setdefault((uuid, tag), []).append((int(match.group(1)), int(match.group(2) or match.group(1))))
    return {key: _merged(intervals) for key, intervals in result.items()}


def _merged(intervals):
    out = []
    for first, last in sorted(intervals):
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out


def _minus(intervals, taken):
    """The parts of intervals not in taken (both merged and sorted)."""
    out = []
    for first, last in intervals:
        for t_first, t_last in taken:
            if t_last < first or t_first > last:
                continue
            if t_first > first:
                out.append((first, t_first - 1))
            first = t_last + 1
            if first > last:
                break
        if first <= last:
            out.append((first, last))
    return out


def mysql_only_on(old, new):
    """The GTID set in old (text) and not in new (text): (text, count)."""
    have = parse_mysql(new)
    only = {}
    for key, intervals in parse_mysql(old).items():
        rest = _minus(intervals, have.get(key, []))
        if rest:
            only[key] = rest
    return _mysql_text(only), sum(last - first + 1 for intervals in only.values() for first, last in intervals)


def _mysql_text(gtids):
    parts = []
    for (uuid, tag), intervals in sorted(gtids.items()):
        spans = ":".join(str(a) if a == b else f"{a}-{b}" for a, b in intervals)
        parts.append(f"{uuid}:{tag}:{spans}" if tag else f"{uuid}:{spans}")
    return ",".join(parts)


def parse_mariadb(text):
    """{(domain, server): last seq} of a MariaDB GTID list (domain-server-seq, comma separated)."""
    result = {}
    for element in re.sub(r"\s+", "", text or "").split(","):
        if not element:
            continue
        match = _MARIADB_GTID.match(element)
        if not match:
            raise GtidError(f"{element!r} is not a MariaDB GTID (domain-server-seq)")
        key = (int(match.group(1)), int(match.group(2)))
        result[key] = max(result.get(key, 0), int(match.group(3)))
    return result


def mariadb_only_on(old, new):
    """What the old server's binlog state has beyond the new one's, per (domain, server): (text, count), where
    text lists domain-server-first..last ranges and count is their total (an upper bound, see the module doc)."""
    have = parse_mariadb(new)
    ranges = []
    for (domain, server), last in sorted(parse_mariadb(old).items()):
        first = have.get((domain, server), 0) + 1
        if last >= first:
            ranges.append((domain, server, first, last))
    text = ",".join(f"{d}-{s}-{a}" if a == b else f"{d}-{s}-{a}..{d}-{s}-{b}" for d, s, a, b in ranges)
    return text, sum(last - first + 1 for *_key, first, last in ranges)


def only_on(old_variables, new_variables):
    """The transactions of the server with old_variables that the one with new_variables lacks.

    Returns {"count", "exact", "gtids", "format"}: format "mysql" (gtid_executed, exact) or "mariadb"
    (gtid_binlog_state, an upper bound). Raises GtidError when the two do not both show one of them (GTIDs off,
    or two different engines): then nothing can be said, and the caller must say so rather than report 0."""
    old, new = variables_of(old_variables), variables_of(new_variables)
    if "gtid_executed" in old and "gtid_executed" in new:
        off = [name for name, server in (("old", old), ("new", new)) if server.get("gtid_mode", "ON").upper() != "ON"]
        if off:  # an empty gtid_executed then says nothing about what the server holds
            raise GtidError(f"GTIDs are off on the {' and the '.join(off)} server (gtid_mode is not ON): "
                            "the transactions cannot be compared")
        text, count = mysql_only_on(old["gtid_executed"], new["gtid_executed"])
        return {"count": count, "exact": True, "gtids": text, "format": "mysql"}
    if "gtid_binlog_state" in old and "gtid_binlog_state" in new:
        text, count = mariadb_only_on(old["gtid_binlog_state"], new["gtid_binlog_state"])
        return {"count": count, "exact": count == 0, "gtids": text, "format": "mariadb"}
    raise GtidError("the two servers do not both show gtid_executed (MySQL) or gtid_binlog_state (MariaDB)")


def read_rows(host, port, user, password, connect_timeout=5):
    """The GTID rows of SHOW GLOBAL VARIABLES of one server; GtidError when it cannot be read."""
    if not HAS_PYMYSQL:
        raise GtidError("the Python package PyMySQL is not installed where the module runs (pip install PyMySQL)")
    if not host:
        raise GtidError("the database has no endpoint yet")
    try:
        connection = pymysql.connect(host=host, port=int(port or 3306), user=user, password=password,
                                     connect_timeout=connect_timeout, read_timeout=connect_timeout)
        try:
            with connection.cursor() as cursor:
                cursor.execute(QUERY)
                return [{"Variable_name": name, "Value": value} for name, value in cursor.fetchall()]
        finally:
            connection.close()
    except pymysql.err.Error as exc:
        raise GtidError(f"{host}:{port} cannot be read: {exc}") from None


def summary(found, kept_in=None):
    """One line for the report: what the retired database held that the primary lacks (found: only_on()'s result
    with checked=True, or checked=False and the reason), and where it is kept."""
    kept = f", kept in {kept_in}" if kept_in else ""
    if not found.get("checked"):
        return f"UNKNOWN whether the retired database held writes the primary lacks ({found.get('reason')})" + (f"; it is kept in {kept_in}" if kept_in else "")
    if found["count"] > 0:
        return (f"the retired database held {'' if found['exact'] else 'at most '}{found['count']} transaction(s) the primary lacks "
                f"({found['gtids']}){kept}")
    return "the retired database held nothing the primary lacks"
