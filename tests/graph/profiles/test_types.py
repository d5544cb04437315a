"""A page's edges are served as the domain made them (graph/profiles/types.py): every field of
the GraphQL ProfileEdge and Profile types must be an attribute of the same name there, and a
domain profile must answer exactly what its GraphQL copy answers."""

import uuid
from datetime import UTC, datetime

import strawberry
from graphql import GraphQLObjectType

from graph.profiles.types import Profile, ProfileEdge
from services.profiles.enums import AgeGroup, Gender
from services.profiles.profile import Profile as DomainProfile
from services.profiles.results import ProfileEdge as DomainProfileEdge


def _fields(graph_type: type) -> set[str]:
    definition = graph_type.__strawberry_definition__  # type: ignore[attr-defined]
    return {field.python_name for field in definition.fields}


def test_every_graphql_field_is_a_domain_attribute() -> None:
    assert _fields(Profile) <= set(DomainProfile._fields)
    assert _fields(ProfileEdge) <= set(DomainProfileEdge._fields)


PROFILE = DomainProfile(
    uuid.UUID("0190a0b0-0000-7000-8000-000000000001"),
    "Ada Obi",
    Gender.FEMALE,
    0.97,
    31,
    AgeGroup.ADULT,
    "NG",
    "Nigeria",
    None,
    datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    12,
)


@strawberry.type
class _Query:
    @strawberry.field
    def domain(self) -> ProfileEdge:
        return DomainProfileEdge("c", PROFILE)  # type: ignore[return-value]

    @strawberry.field
    def copied(self) -> ProfileEdge:
        return ProfileEdge(cursor="c", node=Profile.from_domain(PROFILE))


async def test_a_domain_profile_answers_what_its_copy_answers() -> None:
    schema = strawberry.Schema(query=_Query)
    profile_type = schema._schema.get_type("Profile")
    assert isinstance(profile_type, GraphQLObjectType)
    selection = "{ cursor node { " + " ".join(profile_type.fields) + " } }"
    result = await schema.execute(f"{{ domain {selection} copied {selection} }}")
    assert result.errors is None
    assert result.data is not None
    assert result.data["domain"] == result.data["copied"]
    assert result.data["domain"]["node"]["id"] == "0190a0b0-0000-7000-8000-000000000001"
