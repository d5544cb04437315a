"""Root mutations for profiles: create from names (Genderize, Agify, Nationalize), delete."""

import strawberry
from strawberry.types import Info

from graph.core.context import Context
from graph.core.ids import parse_id
from graph.core.permissions import Permitted
from graph.profiles.types import ProfileCreation
from services.demographics.lookup import NameLookup
from services.errors import ErrorCode, ServiceError
from services.profiles import creation


def _names(context: Context) -> NameLookup:
    if context.names is None:
        raise ServiceError(
            ErrorCode.UPSTREAM_UNAVAILABLE, "the name services are not running in this process"
        )
    return context.names


@strawberry.type
class ProfilesMutation:
    @strawberry.mutation(
        permission_classes=[Permitted],
        description="A profile from a name: gender from Genderize, age from Agify, the most "
        "probable country from Nationalize. A name already stored returns that profile with "
        "created false. A service with no usable answer is BAD_USER_INPUT naming it; a failing "
        "service is UPSTREAM_UNAVAILABLE. Nothing is stored on either.",
    )
    async def create_profile(self, info: Info[Context, None], name: str) -> ProfileCreation:
        context = info.context
        (made,) = await creation.create_profiles(
            context.pool, _names(context), [name], cache=context.cache, field="name"
        )
        return ProfileCreation.from_domain(made)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description=f"createProfile for up to {creation.MAX_NAMES} names, in order; the "
        "services are asked in batches of 10 names. One name without a usable answer stores "
        "none of them.",
    )
    async def create_profiles(
        self, info: Info[Context, None], names: list[str]
    ) -> list[ProfileCreation]:
        context = info.context
        made = await creation.create_profiles(
            context.pool, _names(context), names, cache=context.cache, field="names"
        )
        return [ProfileCreation.from_domain(item) for item in made]

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Delete one profile; every total and breakdown stays exact. NOT_FOUND for "
        "an unknown id.",
    )
    async def delete_profile(self, info: Info[Context, None], id: strawberry.ID) -> bool:
        profile_id = parse_id(id, field="id", kind="profile")
        await creation.delete_profile(info.context.pool, profile_id)
        return True
