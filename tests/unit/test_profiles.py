"""Profiles: each shipped profile loads; tags select schema.<operationId> features."""

from __future__ import annotations

import pytest

from oaiconform.profiles import Profile, ProfileError, available_profiles, load_profile
from oaiconform.spec import Spec


def tags_of(spec: Spec) -> dict[str, tuple[str, ...]]:
    return {op_id: tuple(op.raw.get("tags") or ()) for op_id, op in spec.operations.items()}


def test_the_shipped_profiles_load() -> None:
    assert available_profiles() == ["chat", "core", "embeddings", "full"]
    for name in available_profiles():
        profile = load_profile(name)
        assert profile.required
        assert not set(profile.required) & set(profile.optional)


def test_core_selects_the_core_operations_optionally(spec: Spec) -> None:
    core = load_profile("core").resolve(tags_of(spec))
    schema = [f for f in core.features if f.startswith("schema.")]
    assert "schema.createChatCompletion" in schema
    assert "schema.createEmbedding" in schema
    assert "schema.createImage" not in schema
    assert not any(core.is_required(f) for f in schema)
    assert core.is_required("chat.completions")


def test_embeddings_asks_an_embeddings_server_nothing_it_does_not_serve(spec: Spec) -> None:
    embeddings = load_profile("embeddings").resolve(tags_of(spec))
    assert embeddings.is_required("embeddings")
    assert not [f for f in embeddings.features if f.startswith(("chat", "responses", "files"))]
    schema = {f for f in embeddings.features if f.startswith("schema.")}
    assert schema == {
        "schema.createEmbedding",
        "schema.listModels",
        "schema.retrieveModel",
        "schema.deleteModel",
    }


def test_full_requires_every_operation(spec: Spec) -> None:
    full = load_profile("full").resolve(tags_of(spec))
    schema = [f for f in full.required if f.startswith("schema.")]
    assert len(schema) == 288 == len(set(schema))


def test_untagged_operations_can_be_selected() -> None:
    profile = Profile("p", "", (), (), optional_tags=("(untagged)",))
    resolved = profile.resolve({"a": (), "b": ("Chat",)})
    assert resolved.optional == ("schema.a",)


def test_unknown_profiles_and_features_are_named(tmp_path: object) -> None:
    with pytest.raises(ProfileError, match="unknown profile 'nope'; available profiles: chat"):
        load_profile("nope")
