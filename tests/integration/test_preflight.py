"""roles/preflight: bad application variables fail before any change, naming the variable."""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PLAY = "tests/integration/playbooks/preflight.yml"


def test_good_variables_pass(playbook):
    run = playbook(PLAY, inventory="inventories/local")
    assert run.rc == 0 and run.changed() == 0, run.failures() or run.stderr[-2000:]


def test_unknown_strategy_is_named(playbook):
    run = playbook(PLAY, inventory="inventories/local", extravars={"dr_strategy": "warm_standby"})
    assert run.rc != 0
    assert any("warm_standby" in str(r.get("argument_errors")) for host in run.stats for _name, r in run.results(host))


def test_overlapping_and_invalid_cidrs_are_named(playbook):
    cidrs = {"us-east-1": "10.10.0.0/16", "us-west-2": "10.10.128.0/17", "eu-west-1": "10.30.0.0/33"}
    run = playbook(PLAY, inventory="inventories/local", extravars={"region_cidrs": cidrs})
    messages = " | ".join(run.failures())
    assert run.rc != 0
    assert "region_cidrs[us-east-1] = 10.10.0.0/16 overlaps region_cidrs[us-west-2] = 10.10.128.0/17" in messages
    assert "region_cidrs[eu-west-1] = 10.30.0.0/33 is not an IPv4 network address with a /16 to /28 prefix" in messages


def test_region_host_that_is_not_an_aws_region(playbook, tmp_path):
    inventory = tmp_path / "inventory"
    shutil.copytree(ROOT / "inventories/local", inventory)
    hosts = (inventory / "hosts.yml").read_text().replace("eu-west-1:", "eu-wset-1:")
    (inventory / "hosts.yml").write_text(hosts)
    cidrs = {"us-east-1": "10.10.0.0/16", "us-west-2": "10.20.0.0/16", "eu-wset-1": "10.30.0.0/16"}
    run = playbook(PLAY, inventory=str(inventory), extravars={"region_cidrs": cidrs})
    assert run.rc != 0
    assert any(m.startswith("eu-wset-1 is not an AWS region; AWS regions are: ") and "eu-west-1" in m for m in run.failures())


def test_app_name_rule_accepts_what_aws_accepts_for_every_derived_name():
    import re

    import yaml

    rules = yaml.safe_load((ROOT / "roles/preflight/vars/main.yml").read_text())
    pattern, longest = re.compile(rules["preflight_app_name_pattern"]), rules["preflight_app_name_max_length"]
    for good in ("shop", "a", "my-shop-2", "a" * longest):
        assert pattern.match(good) and len(good) <= longest, good
        assert len(f"{good}-alb") <= 32 and len(f"{good}-app") <= 32  # ALB and target group names
    for bad in ("Shop", "shop_app", "shop-", "9shop", "shop--eu", "-shop", "shop.eu", "shop eu", ""):
        assert not pattern.match(bad), bad


def test_bad_app_name_fails_before_any_change(playbook, aws):
    name = "My_Shop-" + "x" * 25
    run = playbook("playbooks/provision.yml", inventory="inventories/local", extravars={"app_name": name})
    assert run.rc != 0
    assert any(f'app_name="{name}" is not usable in AWS names' in m and "at most 28" in m for m in run.failures()), run.failures()
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        assert aws("kms", region).list_keys()["Keys"] == []
        assert [v for v in aws("ec2", region).describe_vpcs()["Vpcs"] if not v.get("IsDefault")] == []


def test_a_real_aws_inventory_is_refused_what_aws_would_refuse_later(playbook):
    """preflight_real_aws (an inventory without aws_endpoint_url) adds checks the simulator does not need."""
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c"
    real = {"preflight_real_aws": True}
    run = playbook(PLAY, inventory="inventories/local", extravars=real)
    messages = " | ".join(run.failures())
    # no certificate: plain HTTP in every region
    assert run.rc != 0 and all(f"asg_certificate_arn is empty in {region}: its ALB would listen on HTTP :80 only" in messages
                               for region in ("us-east-1", "us-west-2", "eu-west-1")), messages
    run = playbook(PLAY, inventory="inventories/local", extravars={**real, "asg_certificate_arn": certificate})
    messages = " | ".join(run.failures())
    assert run.rc != 0
    # no cdn_origin_domain_names: CloudFront's https-only origins would answer 502
    assert "cdn_origin_domain_names has no name for us-east-1" in messages, messages

    origins = {region: f"origin-{region}.shop.example.com" for region in ("us-east-1", "us-west-2", "eu-west-1")}
    bad = {**real, "cdn_origin_domain_names": origins, "dns_health_check_type": "HTTPS", "s3_bucket_prefix": "shop-data",
           "asg_certificate_arn": ""}
    run = playbook(PLAY, inventory="inventories/local", extravars=bad)
    messages = " | ".join(run.failures())
    assert run.rc != 0
    assert "asg_certificate_arn is empty in us-west-2: its ALB would listen on HTTP :80 only" in messages, messages
    assert "dns_health_check_type=HTTPS checks HTTPS there: the health check fails and every failover is refused" in messages, messages

    # HTTP health checks do not make plain HTTP acceptable: the certificate is required all the same
    run = playbook(PLAY, inventory="inventories/local", extravars={**bad, "dns_health_check_type": "HTTP", "s3_bucket_prefix": "shop-dr-data"})
    messages = " | ".join(run.failures())
    assert run.rc != 0 and "asg_certificate_arn is empty in eu-west-1" in messages and "every failover is refused" not in messages, messages

    fine = {**real, "cdn_origin_domain_names": origins, "asg_certificate_arn": certificate}
    run = playbook(PLAY, inventory="inventories/local", extravars={**fine, "s3_bucket_prefix": "shop-data"})
    assert run.rc != 0 and "s3_bucket_prefix=shop-data is almost surely taken" in " | ".join(run.failures())
    run = playbook(PLAY, inventory="inventories/local", extravars=fine)
    assert run.rc == 0, run.failures()


@pytest.mark.slow(25)
def test_a_name_that_overlaps_another_application_of_the_account_is_refused(playbook, aws):
    """The collection's policies grant on <app>-*: shop and shop-eu in one account would cover each other's resources."""
    iam = aws("iam")
    document = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}]}'
    for name in ("shop-dr-operator", "shop-eu-dr-operator", "shopping-dr-operator"):
        iam.create_policy(PolicyName=name, PolicyDocument=document)
    run = playbook(PLAY, inventory="inventories/local")
    assert run.rc != 0
    assert any(m.startswith("app_name=shop overlaps the application(s) shop-eu of this account") for m in run.failures()), run.failures()
    # the other way round: shop-eu meets shop's policies
    run = playbook(PLAY, inventory="inventories/local", extravars={"app_name": "shop-eu"})
    assert any(m.startswith("app_name=shop-eu overlaps the application(s) shop of this account") for m in run.failures()), run.failures()
    # shopping is another name, and an application's own policy is no overlap
    iam.delete_policy(PolicyArn=next(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == "shop-eu-dr-operator"))
    assert playbook(PLAY, inventory="inventories/local").rc == 0
