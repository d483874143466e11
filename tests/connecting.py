"""Connecting a stub provider the way the storefront does: start, follow the authorize URL, finish."""

from urllib.parse import parse_qsl, urlsplit

from integrations_core.connections import connection_finish, connection_start


def reconnect(supplier, provider="netsuite"):
    start = connection_start(supplier=supplier, provider=provider, redirect_uri="http://app/callback")
    params = dict(parse_qsl(urlsplit(start.authorize_url).query))
    connection, _ = connection_finish(supplier=supplier, provider=provider, redirect_uri="http://app/callback",
                                      callback_params=params, session=start.session)
    return connection
