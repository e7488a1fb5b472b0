"""vendors/: every server entry parses, binds loopback only, and names what exists."""

from __future__ import annotations

import re

import pytest
from vendors.entry import VendorError, fill, load_vendors

from oaiconform.baseline import load_baseline
from oaiconform.profiles import available_profiles
from oaiconform.targets_file import MODEL_FLAGS

VENDORS = load_vendors()
KNOWN = {"venv", "prefix", "site", "here", "port", "key", "base_url", "spec", "wheels"}


def test_the_matrix_has_eight_servers_or_more_with_the_three_kinds_the_issue_asks_for() -> None:
    kinds = {vendor.kind for vendor in VENDORS}
    assert len(VENDORS) >= 8
    assert {"real inference", "real embeddings", "gateway over real engines"} <= kinds


@pytest.mark.parametrize("vendor", VENDORS, ids=lambda v: v.name)
def test_an_entry_starts_its_server_on_loopback_with_what_exists(vendor: object) -> None:
    from vendors.entry import Vendor

    assert isinstance(vendor, Vendor)
    assert "127.0.0.1" in vendor.start  # many servers default to 0.0.0.0
    assert vendor.base_url.startswith(f"http://127.0.0.1:{vendor.port}")
    assert vendor.profile in available_profiles()
    assert set(vendor.models) <= set(MODEL_FLAGS)
    assert vendor.here.is_dir()
    if vendor.baseline is not None:
        load_baseline(vendor.baseline)  # parses, or raises with the entry at fault
    text = " ".join([*vendor.start, *vendor.env.values()])
    for name, other in re.findall(r"\{([a-z_]+)(?::([A-Za-z0-9._-]+))?\}", text):
        assert name in KNOWN, name
        assert not other or other in vendor.needs
    for path in re.findall(r"\{here\}/([\w./-]+)", text):
        assert (vendor.here / path).exists(), path


def test_ports_are_distinct_and_needs_come_first() -> None:
    ports = [vendor.port for vendor in VENDORS]
    assert len(ports) == len(set(ports))
    names = [vendor.name for vendor in VENDORS]
    for vendor in VENDORS:
        assert all(names.index(need) < names.index(vendor.name) for need in vendor.needs)


def test_a_subset_brings_the_servers_it_needs_and_an_unknown_name_is_refused() -> None:
    names = [vendor.name for vendor in load_vendors(("litellm-gateway",))]
    assert names == ["llamacpp", "infinity", "litellm-gateway"]
    with pytest.raises(VendorError, match="no vendor named 'nope'"):
        load_vendors(("nope",))


def test_a_placeholder_is_filled_or_named() -> None:
    assert fill("{base_url:b}/x {port}", {"port": "1"}, {"b": {"base_url": "u"}}) == "u/x 1"
    with pytest.raises(VendorError, match=r"unknown placeholder \{colour\}"):
        fill("{colour}", {}, {})
