# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM rules in one place: how the collection's names scope its policies.

Every resource of an application is named <app>-... (or /<app>/...), and its IAM policies (the operator's, the
provisioner's, the instances') grant on <app>-*. Two applications of one account named <a> and <a>-<more> would
therefore share resources under each other's policies: shop's operator could fail over shop-eu's database. The
applications of the collection in an account are known by their operator policy, <app>-dr-operator.
"""

OPERATOR_POLICY_SUFFIX = "-dr-operator"


def applications(policy_names, suffix=OPERATOR_POLICY_SUFFIX):
    """The applications whose operator policy is among policy_names, sorted."""
    return sorted({name[: -len(suffix)] for name in policy_names if name.endswith(suffix) and len(name) > len(suffix)})


def overlapping(app, others):
    """The applications of others whose names make <app>-* cover their resources, or theirs cover <app>'s."""
    return sorted(other for other in others if other != app and (other.startswith(app + "-") or app.startswith(other + "-")))


def overlap_problem(app, found):
    """The refusal for found = overlapping(app, ...), None when it is empty."""
    if not found:
        return None
    names = ", ".join(found)
    return (f"app_name={app} overlaps the application(s) {names} of this account (found by their <app>{OPERATOR_POLICY_SUFFIX} "
            f"policies): the collection's IAM policies grant on <app>-*, so {app}-* and the other's names cover each other's "
            f"resources (one operator could fail over the other's database). Choose an app_name that is not another's name "
            f"followed by '-', and that no other's name starts with followed by '-'.")
