# The app's settings that point it at the local Xero at $XERO (http://127.0.0.1:PORT), with the app at $PORT:
# printed as KEY=value lines for an env file. Sourced by run-local.sh (`make run`) and serve.sh (`make serve`).
local_xero_env() {
  cat <<ENV
XERO_CLIENT_ID=SANDBOXCLIENTID0000000000000000
XERO_CLIENT_SECRET=sandbox-client-secret
XERO_WEBHOOK_KEY=sandbox-webhook-key
XERO_AUTHORIZE_URL=$XERO/identity/connect/authorize
XERO_TOKEN_URL=$XERO/connect/token
XERO_REVOCATION_URL=$XERO/connect/revocation
XERO_IDENTITY_URL=$XERO
XERO_ACCOUNTING_URL=$XERO/api.xro/2.0
XERO_REDIRECT_URI=http://127.0.0.1:$PORT/xero/callback/
ENV
}
