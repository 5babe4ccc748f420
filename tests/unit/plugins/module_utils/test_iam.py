from ansible_collections.multiregion.dr.plugins.module_utils import iam


def test_applications_are_found_by_their_operator_policy():
    names = ["shop-dr-operator", "shop-eu-dr-operator", "-dr-operator", "shop-app-policy", "dr-provisioner-1", "billing-dr-operator"]
    assert iam.applications(names) == ["billing", "shop", "shop-eu"]


def test_names_overlap_when_one_is_the_other_followed_by_a_hyphen():
    others = ["shop", "shop-eu", "shop-eu-west", "shopping", "sho", "billing"]
    # shop-* covers shop-eu-* and shop-eu-west-*; shopping and sho are other names (no hyphen after the prefix)
    assert iam.overlapping("shop", others) == ["shop-eu", "shop-eu-west"]
    # and the other way: shop's and shop-eu's policies both cover shop-eu-west's names
    assert iam.overlapping("shop-eu-west", others) == ["shop", "shop-eu"]
    assert iam.overlapping("billing", others) == []
    problem = iam.overlap_problem("shop", ["shop-eu"])
    assert problem.startswith("app_name=shop overlaps the application(s) shop-eu of this account") and "shop-*" in problem
    assert iam.overlap_problem("shop", []) is None
