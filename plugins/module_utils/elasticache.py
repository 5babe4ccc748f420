# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ElastiCache rules in one place: the members of a Global Datastore and their roles, and the role
a replication group plays in one."""

# GlobalReplicationGroupMemberRole -> role as topology_info reports it
MEMBER_ROLES = {"PRIMARY": "primary", "SECONDARY": "secondary"}


def global_members(global_group):
    """The members of a Global Datastore (DescribeGlobalReplicationGroups entry with ShowMemberInfo)."""
    return [
        {
            "replication_group_id": m["ReplicationGroupId"],
            "region": m["ReplicationGroupRegion"],
            "role": m.get("Role"),
            "status": m.get("Status"),
        }
        for m in global_group.get("Members", [])
    ]


def member_in(members, region, replication_group_id=None):
    """The member (of global_members()) in region, and of that replication group when given; else None."""
    return next((m for m in members if m["region"] == region
                 and replication_group_id in (None, m["replication_group_id"])), None)


def cache_member_roles(global_group):
    """DescribeGlobalReplicationGroups entry (ShowMemberInfo) -> {region: role dict}."""
    return {
        m["region"]: {
            "role": "primary" if m["role"] == "PRIMARY" else "secondary",
            "replication_group_id": m["replication_group_id"],
            "member_status": m["status"],
        }
        for m in global_members(global_group)
    }


def global_info(group):
    """(Global Datastore id, member role PRIMARY/SECONDARY) of a replication group; (None, None) outside one."""
    info = group.get("GlobalReplicationGroupInfo") or {}
    return info.get("GlobalReplicationGroupId") or None, info.get("GlobalReplicationGroupMemberRole") or None


def group_endpoints(group):
    """(primary endpoint address, reader endpoint address, port) of a replication group (DescribeReplicationGroups
    entry, cluster mode disabled: one node group); None where unknown. A Global Datastore's secondary has its
    primary endpoint too: the same address takes writes once the group is promoted."""
    node_group = ((group or {}).get("NodeGroups") or [{}])[0]
    primary = node_group.get("PrimaryEndpoint") or {}
    return primary.get("Address"), (node_group.get("ReaderEndpoint") or {}).get("Address"), primary.get("Port")


def group_role(group):
    """primary, secondary (of a Global Datastore) or standalone."""
    return MEMBER_ROLES.get(global_info(group)[1], "standalone")
