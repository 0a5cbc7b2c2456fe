from __future__ import annotations

import pytest

from azkaban_seeder.spec import ENV_FIELDS, EnvSpec, ShapeChoice, SpecError, parse_shape


def test_the_profile_field_is_declared_once() -> None:
    field = ENV_FIELDS["profile"]
    assert (field.kind, field.default) == ("string", "")
    assert "readable by every worker" in field.help
    assert EnvSpec().profile == ""


def test_shape_profile_parses() -> None:
    assert parse_shape("profile") == (ShapeChoice("profile", 0, 1),)
    spec = EnvSpec.from_mapping({"shape": " profile ", "profile": "/data/prod.json"})
    assert spec.shape_choices[0].kind == "profile"
    assert EnvSpec.from_mapping(spec.to_dict()) == spec


def test_shape_profile_needs_a_profile() -> None:
    with pytest.raises(SpecError) as info:
        EnvSpec(shape="profile")
    assert info.value.field == "profile"
    assert "needs a profile file" in info.value.problem
    assert "readable by every worker" in info.value.fix


def test_a_profile_with_another_shape_is_refused_naming_the_fix() -> None:
    with pytest.raises(SpecError) as info:
        EnvSpec(shape="mix", profile="/data/prod.json")
    assert info.value.field == "profile"
    assert 'set shape to "profile"' in info.value.fix and 'profile to ""' in info.value.fix


def test_profile_is_not_a_mix_entry() -> None:
    with pytest.raises(SpecError, match="unknown shape 'profile'"):
        EnvSpec(shape="mix:profile=1,single=1", profile="/data/prod.json")
