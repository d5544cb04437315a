"""The `profileExport` field: a short-lived signed link to a CSV of any filtered profile set."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from graph.context import Context
from graph.permissions import Permitted, require_principal
from graph.profiles.inputs import ProfileFilter
from graph.profiles.types import NormalizedFilter
from services.profiles import search
from services.profiles.export import EXPORT_LINK_TTL, issue_export_token

EXPORT_ROUTE_NAME = "profile_export_csv"


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
            info.context.request.app.state.secret_key,
            require_principal(info.context),
            canonical,
        )
        url = info.context.request.url_for(EXPORT_ROUTE_NAME).include_query_params(token=link.token)
        key = search.cache_key(canonical, search.DEFAULT_SORT, search.DEFAULT_PAGE)
        return ProfileExport(
            url=str(url),
            expires_at=link.expires_at,
            filter=NormalizedFilter.from_domain(canonical, key),
        )
