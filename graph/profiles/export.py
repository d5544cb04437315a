"""The `profileExport` field: a short-lived signed link to a CSV of any filtered profile set."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from graph.core.context import Context
from graph.core.permissions import Permitted, require_principal
from graph.profiles.inputs import ProfileFilter
from graph.profiles.types import NormalizedFilter
from services.profiles import search
from services.profiles.export import EXPORT_LINK_TTL, issue_export_token


@strawberry.type(description="Where to download a CSV export, and until when.")
class ProfileExport:
    url: str = strawberry.field(
        description="GET it (no header needed) for a streamed CSV with a header row; the link "
        "carries a signed token for this filter only"
    )
    expires_at: datetime = strawberry.field(description="The link stops working after this")
    filter: NormalizedFilter = strawberry.field(description="The filter the CSV applies")


@strawberry.type
class ProfileExportQuery:
    @strawberry.field(
        permission_classes=[Permitted],
        description="A download link for every profile matching `filter` and/or `query` (plain "
        f"English), valid for {int(EXPORT_LINK_TTL.total_seconds() // 60)} minutes. Cells "
        "that a spreadsheet would run as a formula are prefixed with an apostrophe.",
    )
    def profile_export(
        self,
        info: Info[Context, None],
        filter: ProfileFilter | None = None,
        query: str | None = None,
    ) -> ProfileExport:
        canonical = search.resolve_filter(filter.to_filter_spec() if filter else None, query)
        link = issue_export_token(
            info.context.secret_key,
            require_principal(info.context),
            canonical,
        )
        url = info.context.export_url(link.token)
        key = search.cache_key(canonical, search.DEFAULT_SORT, search.DEFAULT_PAGE)
        return ProfileExport(
            url=url,
            expires_at=link.expires_at,
            filter=NormalizedFilter.from_domain(canonical, key),
        )
