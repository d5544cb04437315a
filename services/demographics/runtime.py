"""The name lookup of one process, built once from the settings.

Each of Genderize, Agify and Nationalize is its HTTP adapter when its base URL is set, else
its offline twin (docs/configuration.md); `GENDERIZE_API_KEY` is the `apikey` of all three.
"""

import logging
from collections.abc import Mapping

from services.demographics.guesses import AgeGuess, CountryGuess, GenderGuess, NameGuesser
from services.demographics.lookup import NameLookup
from services.demographics.offline import OfflineAgify, OfflineGenderize, OfflineNationalize
from services.platform.retry import RetryPolicy
from services.platform.retry_tasks import retry_policies
from services.platform.settings import Settings

logger = logging.getLogger(__name__)


def build_name_lookup(
    settings: Settings, policies: Mapping[str, RetryPolicy] | None = None
) -> NameLookup:
    genderize: NameGuesser[GenderGuess] = OfflineGenderize()
    agify: NameGuesser[AgeGuess] = OfflineAgify()
    nationalize: NameGuesser[CountryGuess] = OfflineNationalize()
    if settings.genderize_base_url or settings.agify_base_url or settings.nationalize_base_url:
        # Imported only when configured, as the other adapters are (services/interviews/
        # runtime.py): an offline process starts without the HTTP client.
        from services.demographics.guesses import NameService
        from services.demographics.name_apis import (
            NameApi,
            parse_age,
            parse_country,
            parse_gender,
        )
        from services.platform.retry_tasks import AGIFY, GENDERIZE, NATIONALIZE

        policies = policies if policies is not None else retry_policies(settings)
        key = settings.genderize_api_key.reveal() if settings.genderize_api_key else None
        timeout = settings.upstream_timeout_seconds
        if settings.genderize_base_url:
            genderize = NameApi(
                NameService.GENDERIZE,
                parse_gender,
                base_url=settings.genderize_base_url,
                api_key=key,
                timeout_seconds=timeout,
                policy=policies[GENDERIZE],
            )
        if settings.agify_base_url:
            agify = NameApi(
                NameService.AGIFY,
                parse_age,
                base_url=settings.agify_base_url,
                api_key=key,
                timeout_seconds=timeout,
                policy=policies[AGIFY],
            )
        if settings.nationalize_base_url:
            nationalize = NameApi(
                NameService.NATIONALIZE,
                parse_country,
                base_url=settings.nationalize_base_url,
                api_key=key,
                timeout_seconds=timeout,
                policy=policies[NATIONALIZE],
            )
    offline = [g.service.value for g in (genderize, agify, nationalize) if g.offline]
    if offline:
        logger.info("name services answered offline", extra={"offline": offline})
    return NameLookup(genderize, agify, nationalize)
