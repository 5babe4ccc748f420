"""The transactions only one server has, from MySQL and MariaDB GTIDs."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.multiregion.dr.plugins.filter.transactions_only_on import transactions_only_on
from ansible_collections.multiregion.dr.plugins.module_utils import gtid
from ansible_collections.multiregion.dr.plugins.modules import transactions_info

A = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
B = "2174b383-5441-11e8-b90a-c80aa9429562"


def rows(**variables):
    return [{"Variable_name": name, "Value": value} for name, value in variables.items()]


def test_mysql_difference_is_exact_per_interval_and_source():
    old = f"{A}:1-100:120-130,\n{B}:1-5"
    new = f"{A}:1-90:95-96:125-200,{B}:1-5"
    assert gtid.mysql_only_on(old, new) == (f"{A}:91-94:97-100:120-124", 4 + 4 + 5)
    assert gtid.mysql_only_on(new, new) == ("", 0)
    # a source the new server never saw counts whole
    assert gtid.mysql_only_on(f"{B}:1-3", f"{A}:1-3") == (f"{B}:1-3", 3)


def test_mysql_tagged_gtids_are_their_own_sets():
    assert gtid.mysql_only_on(f"{A}:1-3:dr:1-2", f"{A}:1-3") == (f"{A}:dr:1-2", 2)


def test_mariadb_counts_the_old_server_s_range_beyond_what_the_new_one_has():
    # the old primary (server 1) wrote up to 100; the promoted replica applied to 90, then wrote itself (server 2)
    assert gtid.mariadb_only_on("0-1-100", "0-1-90,0-2-500") == ("0-1-91..0-1-100", 10)
    assert gtid.mariadb_only_on("0-1-90,0-3-4", "0-1-90,0-2-500") == ("0-3-1..0-3-4", 4)
    assert gtid.mariadb_only_on("0-1-90", "0-1-90,0-2-500") == ("", 0)
    assert gtid.mariadb_only_on("0-1-91", "0-1-90") == ("0-1-91", 1)


def test_only_on_picks_the_format_and_never_says_0_when_it_cannot_tell():
    found = gtid.only_on(rows(gtid_binlog_state="0-1-100", version="10.11.6-MariaDB"), rows(gtid_binlog_state="0-1-90,0-2-5"))
    assert found == {"count": 10, "exact": False, "gtids": "0-1-91..0-1-100", "format": "mariadb"}
    assert gtid.only_on(rows(gtid_executed=f"{A}:1-3", gtid_mode="ON"), rows(gtid_executed=f"{A}:1-2", gtid_mode="ON"))["exact"]
    with pytest.raises(gtid.GtidError, match="GTIDs are off on the new server"):
        gtid.only_on(rows(gtid_executed="", gtid_mode="ON"), rows(gtid_executed="", gtid_mode="OFF"))
    with pytest.raises(gtid.GtidError, match="do not both show"):
        gtid.only_on(rows(gtid_executed=f"{A}:1-3"), rows(gtid_binlog_state="0-1-1"))


@pytest.mark.parametrize("text, message", [("0-1", "not a MariaDB GTID"), ("x-1-2", "not a MariaDB GTID")])
def test_bad_mariadb_text_is_named(text, message):
    with pytest.raises(gtid.GtidError, match=message):
        gtid.parse_mariadb(text)


@pytest.mark.parametrize("text", ["nouuid:1-3", f"{A}:5-3", f"{A}:x-y"])
def test_bad_mysql_text_is_named(text):
    with pytest.raises(gtid.GtidError, match="not"):
        gtid.parse_mysql(text)


def test_the_filter_says_when_it_cannot_compare():
    assert transactions_only_on(rows(gtid_binlog_state="0-1-3"), rows(gtid_binlog_state="0-1-1"))["count"] == 2
    result = transactions_only_on(rows(gtid_binlog_state="bad"), rows(gtid_binlog_state="0-1-1"))
    assert result == {"checked": False, "reason": "'bad' is not a MariaDB GTID (domain-server-seq)"}
    assert transactions_only_on([{"x": 1}], [])["checked"] is False


def test_the_summary_says_the_count_the_bound_or_the_unknown_and_where_it_is_kept():
    exact = {"checked": True, "count": 2, "exact": True, "gtids": "3E11FA47-71CA-11E1-9E33-C80AA9429562:4-5"}
    assert gtid.summary(exact, "shop-db-retired-1") == (
        "the retired database held 2 transaction(s) the primary lacks (3E11FA47-71CA-11E1-9E33-C80AA9429562:4-5), kept in shop-db-retired-1")
    bound = {"checked": True, "count": 3, "exact": False, "gtids": "0-1-98..0-1-100"}
    assert gtid.summary(bound).startswith("the retired database held at most 3 transaction(s)")
    assert gtid.summary({"checked": True, "count": 0, "exact": True, "gtids": ""}, "x") == "the retired database held nothing the primary lacks"
    unknown = gtid.summary({"checked": False, "reason": "db:3306 cannot be read"}, "the final snapshot shop-db-final-1")
    assert unknown == ("UNKNOWN whether the retired database held writes the primary lacks (db:3306 cannot be read); "
                       "it is kept in the final snapshot shop-db-final-1")


def test_the_module_never_counts_0_for_a_server_it_cannot_read(capsys):
    args = {"server": {"host": "127.0.0.1", "port": 9}, "other": {"host": "", "port": 3306}, "login_user": "admin",
            "login_password": "secret", "connect_timeout": 1, "kept_in": "shop-db-retired-1"}
    with patch_module_args(args), pytest.raises(SystemExit):
        transactions_info.main()
    result = json.loads(capsys.readouterr().out)
    found = result["transactions"]
    assert result["changed"] is False and not result.get("failed")
    assert found["checked"] is False and "127.0.0.1:9 cannot be read" in found["reason"] and "count" not in found, found
    assert found["kept_in"] == "shop-db-retired-1" and found["summary"].startswith("UNKNOWN whether"), found
    assert "secret" not in json.dumps(result)
