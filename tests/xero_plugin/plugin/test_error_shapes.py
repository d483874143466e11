"""classify_response over every error shape and message of XERO.md (sections 6 and 10), one row each.

Bodies are quoted as XERO.md gives them. Each row asserts the category and the message shown on the
invoice: the seed's wording, plus the detail when there is one. Rows marked [INFERRED] use a wording
XERO.md does not quote (the issue's cases); the shape around them is Xero's.
"""

import json

import pytest

from integrations_core.errors import ErrorCategory as C, message_for
from xero_plugin.errors import classify_response

GENERIC_500 = ("An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current "
               "service status.")

# XERO.md 6.1: the element Xero echoes (the submitted invoice), without its messages.
ECHO = {
    "Type": "ACCREC", "InvoiceID": "6ee08ede-64ed-40b5-81bf-498658aa0ab4", "InvoiceNumber": "INV-0291",
    "Reference": "anotherInvoice Ref", "Status": "AUTHORISED", "LineAmountTypes": "Exclusive",
    "Contact": {"ContactID": "0aaa0620-225e-4f73-8efe-1d79309613c4", "ContactStatus": "ACTIVE", "Name": "Mixpanel"},
    "LineItems": [{"Description": "Consulting", "Quantity": 1.0, "UnitAmount": 40.0, "AccountCode": "999",
                   "TaxType": "OUTPUT2", "LineAmount": 40.0, "ValidationErrors": []}],
    "AmountDue": 40.00, "AmountPaid": 0.00, "HasErrors": True,
}
# xero-node#407 (XERO.md source index): the echo of an invoice with a payment on it.
PAID_ECHO = dict(ECHO, Payments=[{"PaymentID": "c330ad9b-d288-472f-9a3e-36a399e4770c", "Date": "/Date(1552176000000)/",
                                  "Amount": 90.00, "HasValidationErrors": False, "ValidationErrors": []}],
                 AmountDue=0.00, AmountPaid=90.00)


def validation(*errors, warnings=(), echo=ECHO, message="A validation exception occurred", **extra):
    """Xero's 400 ValidationException (ErrorNumber 10) with one echoed element carrying these messages."""
    element = dict(echo, ValidationErrors=[{"Message": m} for m in errors], **extra)
    if warnings:
        element["Warnings"] = [{"Message": w} for w in warnings]
    return json.dumps({"ErrorNumber": 10, "Type": "ValidationException", "Message": message, "Elements": [element]})


SECTION_6_1 = json.dumps({  # verbatim
    "ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
    "Elements": [{
        "Type": "ACCREC", "InvoiceID": "6ee08ede-64ed-40b5-81bf-498658aa0ab4", "InvoiceNumber": "INV-0291",
        "Reference": "anotherInvoice Ref", "Status": "AUTHORISED", "LineAmountTypes": "Exclusive",
        "Contact": {"ContactID": "0aaa0620-225e-4f73-8efe-1d79309613c4", "ContactStatus": "ACTIVE", "Name": "Mixpanel"},
        "LineItems": [{"Description": "Consulting", "Quantity": 1.0, "UnitAmount": 40.0, "AccountCode": "999",
                       "TaxType": "OUTPUT2", "LineAmount": 40.0, "ValidationErrors": []}],
        "AmountDue": 40.00, "AmountPaid": 0.00, "HasErrors": True,
        "ValidationErrors": [{"Message": "Account code '999' is not a valid code for this document."}],
        "Warnings": [{"Message": "Account code '600' has been removed as it does not match a recognised account."}],
    }],
})

XML_CONTACT_EMPTY = (  # gist holm/1234265 (live XML), trimmed
    '<?xml version="1.0" ?><ApiException xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><ErrorNumber>10</ErrorNumber>'
    '<Type>ValidationException</Type><Message>A validation exception occurred</Message><Elements>'
    '<DataContractBase xsi:type="Invoice"><ValidationErrors><ValidationError><Message>Paid to name cannot be empty.'
    '</Message></ValidationError><ValidationError><Message>Contact cannot be empty.</Message></ValidationError>'
    '</ValidationErrors><Warnings/><Contact><ValidationErrors><ValidationError><Message>Contact cannot be empty.'
    '</Message></ValidationError></ValidationErrors><ContactStatus>ACTIVE</ContactStatus><Name/></Contact>'
    '</DataContractBase></Elements></ApiException>')
XML_YEAR_LOCK = (  # xeroizer#92 (live XML)
    '<ApiException><ErrorNumber>10</ErrorNumber><Type>ValidationException</Type>'
    '<Message>A validation exception occurred</Message><Elements><DataContractBase><ValidationErrors>'
    '<ValidationError><Message>The document date cannot be before the end of year lock date, currently set at '
    '31-Jul-2013</Message></ValidationError></ValidationErrors></DataContractBase></Elements></ApiException>')
XML_500 = ('<ApiException><ErrorNumber>500</ErrorNumber><Type>UnknownErrorException</Type>'
           '<Message>An error occurred in Xero. Check the API Status page for current service status.</Message>'
           '</ApiException>')

MIXED_200 = json.dumps({  # XERO.md 4.5, summarizeErrors=false
    "Id": "c5a4a9ad-63a4-4f49-8fe5-2e6bd7ac1e77", "Status": "OK", "ProviderName": "App",
    "DateTimeUTC": "/Date(1714521600000)/",
    "Invoices": [
        {"Type": "ACCREC", "InvoiceID": "3b0a6bbd-1f0d-4c3a-9a39-1a1d6f1b2c3d", "InvoiceNumber": "INV-1",
         "Status": "AUTHORISED", "HasErrors": False, "StatusAttributeString": "OK"},
        {"Type": "ACCREC", "InvoiceID": "00000000-0000-0000-0000-000000000000", "InvoiceNumber": "INV-2",
         "Status": "AUTHORISED", "HasErrors": True, "StatusAttributeString": "ERROR",
         "ValidationErrors": [{"Message": "Account code '999' is not a valid code for this document."}],
         "Contact": {"ContactID": "430fa14a-f945-44d3-9f97-5df5e28441b8", "Name": "Acme Ltd"}, "LineItems": []}]})


def problem(status, title, detail, instance="6489df60-8891-470e-9268-a9a43f5da71e"):
    return json.dumps({"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": instance,
                       "Extensions": {}})


ROTATED = "Xero no longer accepts the app's token (revoked or disconnected)"
LIMIT = lambda p: {"Retry-After": "37", "X-Rate-Limit-Problem": p}  # noqa: E731

# (id, status, body, headers, remote_status, category, detail)
ROWS = [
    # --- 6.1 ValidationException: the section's own example, then each message of its table -------------
    ("6.1 example", 400, SECTION_6_1, {}, None, C.INVALID_ACCOUNT_OR_TAX,
     "Account code '999' is not a valid code for this document"),
    ("account not valid", 400, validation("Account code '200' is not a valid code for this document."), {}, None,
     C.INVALID_ACCOUNT_OR_TAX, "Account code '200' is not a valid code for this document"),
    ("account archived", 400, validation("Account code '42945235343232' has been archived, or has been deleted. Each "
                                         "line item must reference a valid account."), {}, None,
     C.INVALID_ACCOUNT_OR_TAX, "Account code '42945235343232' has been archived, or has been deleted. Each line "
                               "item must reference a valid account"),
    ("account removed (warning)", 400,
     validation(warnings=["Account code '600' has been removed as it does not match a recognised account."]), {},
     None, C.MISSING_GL_ACCOUNT, "Account code '600' has been removed as it does not match a recognised account"),
    ("account must be valid", 400, validation("Account must be valid."), {}, None, C.INVALID_ACCOUNT_OR_TAX,
     "Account must be valid"),
    ("tax rate must be valid", 400, validation("Tax rate must be valid."), {}, None, C.INVALID_ACCOUNT_OR_TAX,
     "Tax rate must be valid"),
    ("account and tax rate", 400, validation("Account must be valid.", "Tax rate must be valid."), {}, None,
     C.INVALID_ACCOUNT_OR_TAX, "Account must be valid; Tax rate must be valid"),
    ("taxtype unquoted", 400, validation("The TaxType code GST on Income does not exist or cannot be used for this "
                                         "type of transaction."), {}, None, C.INVALID_ACCOUNT_OR_TAX,
     "The TaxType code GST on Income does not exist or cannot be used for this type of transaction"),
    ("taxtype NONE", 400, validation("The TaxType code NONE does not exist or cannot be used for this type of "
                                     "transaction."), {}, None, C.INVALID_ACCOUNT_OR_TAX,
     "The TaxType code NONE does not exist or cannot be used for this type of transaction"),
    ("taxtype with account", 400, validation("The TaxType code 'GST on Income' cannot be used with account code "
                                             "'40010-01'."), {}, None, C.INVALID_ACCOUNT_OR_TAX,
     "The TaxType code 'GST on Income' cannot be used with account code '40010-01'"),
    ("taxtype mandatory", 400, validation("The TaxType field is mandatory"), {}, None, C.INVALID_ACCOUNT_OR_TAX,
     "The TaxType field is mandatory"),
    ("account code must be specified", 400, validation("Account code must be specified"), {}, None,
     C.MISSING_GL_ACCOUNT, "Account code must be specified"),
    ("no line items", 400, validation("One or more line items must be specified"), {}, None, C.VALIDATION,
     "One or more line items must be specified"),
    ("no contact", 400, validation("A Contact must be specified for this type of transaction"), {}, None,
     C.VALIDATION, "A Contact must be specified for this type of transaction"),
    ("contact empty, nested too", 400,
     validation("Contact cannot be empty.", echo=dict(ECHO, Contact={"ValidationErrors": [
         {"Message": "Contact cannot be empty."}]})), {}, None, C.VALIDATION, "Contact cannot be empty"),
    ("contact name empty", 400, validation("Contact Name cannot be empty."), {}, None, C.VALIDATION,
     "Contact Name cannot be empty"),
    ("not valid for creation", 400, validation("Invoice not of valid status for creation"), {}, None, C.VALIDATION,
     "Invoice not of valid status for creation"),
    ("not valid for modification, nothing allocated", 400, validation("Invoice not of valid status for modification"),
     {}, None, C.VALIDATION, "Invoice not of valid status for modification"),
    ("not valid for modification, payment on the echo", 400,
     validation("Invoice not of valid status for modification", echo=PAID_ECHO), {}, None, C.INVOICE_LOCKED, ""),
    ("not valid for modification + payment allocated", 400,
     validation("Invoice not of valid status for modification",
                "This document cannot be edited as it has a payment or credit note allocated to it."), {}, None,
     C.INVOICE_LOCKED, ""),
    ("payment allocated", 400,
     validation("This document cannot be edited as it has a payment or credit note allocated to it."), {}, None,
     C.INVOICE_LOCKED, ""),
    *[(f"status {s} blocked by allocations", 400,
       validation(f"The status {s} cannot be applied to the invoice because it has payments or credit notes "
                  "allocated to it."), {}, None, C.INVOICE_LOCKED, "")
      for s in ("VOIDED", "SUBMITTED", "AUTHORISED", "DRAFT")],
    ("duplicate number", 400, validation("Invoice # must be unique."), {}, None, C.UNKNOWN,
     "Invoice # must be unique"),
    ("contact name used by another contact", 400,
     validation("The contact name Buzz Lightyear is already assigned to another contact. The contact name must be "
                "unique across all active contacts."), {}, None, C.VALIDATION,
     "The contact name Buzz Lightyear is already assigned to another contact. The contact name must be unique "
     "across all active contacts"),
    ("email", 400, validation("Email address must be valid."), {}, None, C.VALIDATION, "Email address must be valid"),
    ("payment on unauthorised", 400, validation("Payments can only be made against authorised documents."), {}, None,
     C.VALIDATION, "Payments can only be made against authorised documents"),
    ("overpayment", 400, validation("The payment amount exceeds the amount outstanding on this document."), {}, None,
     C.VALIDATION, "The payment amount exceeds the amount outstanding on this document"),
    ("payment account", 400, validation("Account could not be found."), {}, None, C.INVALID_ACCOUNT_OR_TAX,
     "Account could not be found"),
    ("plan limit", 400, validation("You have reached the limit of invoices you can approve"), {}, None, C.VALIDATION,
     "You have reached the limit of invoices you can approve"),
    ("idempotency key reused (4.6)", 400,
     '{"ErrorNumber":10,"Type":"ValidationException","Message":"Idempotency Key: K is used with a different request."}',
     {}, None, C.UNKNOWN, "Idempotency Key: K is used with a different request"),
    ("validation exception, no message", 400,
     '{"ErrorNumber":10,"Type":"ValidationException","Message":"A validation exception occurred"}', {}, None,
     C.UNKNOWN, ""),
    ("XML validation (holm gist)", 400, XML_CONTACT_EMPTY, {}, None, C.VALIDATION,
     "Paid to name cannot be empty; Contact cannot be empty"),
    # --- the issue: lock dates, voided / deleted, allocations, items, the generic line ------------------
    ("period lock date", 400,
     validation("The document date cannot be before the period lock date, currently set at 31/10/2026."), {}, None,
     C.PERIOD_LOCKED, "the period lock date is currently set at 31/10/2026"),
    ("end of year lock date", 400,
     validation("The document date cannot be before the end of year lock date, currently set at 31-Jul-2013"), {},
     None, C.PERIOD_LOCKED, "the end of year lock date is currently set at 31-Jul-2013"),
    ("end of year lock date, XML (xeroizer#92)", 400, XML_YEAR_LOCK, {}, None, C.PERIOD_LOCKED,
     "the end of year lock date is currently set at 31-Jul-2013"),
    ("lock date with the status message", 400,
     validation("Invoice not of valid status for modification",
                "The document date cannot be before the period lock date, currently set at 30/09/2025."), {}, None,
     C.PERIOD_LOCKED, "the period lock date is currently set at 30/09/2025"),
    ("voided in Xero (status read back)", 400, validation("Invoice not of valid status for modification"), {},
     "VOIDED", C.VOIDED_REMOTELY, ""),
    ("deleted in Xero (status read back)", 400, validation("Invoice not of valid status for modification"), {},
     "DELETED", C.DELETED_REMOTELY, ""),
    ("paid in Xero (status read back)", 400, validation("Invoice not of valid status for modification"), {}, "PAID",
     C.INVOICE_LOCKED, ""),
    ("voided wording [INFERRED]", 400, validation("This document cannot be edited as it has been voided."), {}, None,
     C.VOIDED_REMOTELY, ""),
    ("deleted wording [INFERRED]", 400, validation("This document cannot be edited as it has been deleted."), {},
     None, C.DELETED_REMOTELY, ""),
    ("date change, payments allocated [INFERRED]", 400,
     validation("The date of this document cannot be changed as it has payments allocated to it."), {}, None,
     C.INVOICE_LOCKED, ""),
    ("account cannot be applied to items [INFERRED]", 400,
     validation("Account code '630' cannot be applied to items."), {}, None, C.MISSING_GL_ACCOUNT,
     "Account code '630' cannot be applied to items"),
    ("elements + generic top-level message", 400,
     validation("Account code '999' is not a valid code for this document.", message=GENERIC_500), {}, None,
     C.INVALID_ACCOUNT_OR_TAX, "Account code '999' is not a valid code for this document"),
    ("elements + generic line among them", 400,
     validation(GENERIC_500, "A Contact must be specified for this type of transaction"), {}, None, C.VALIDATION,
     "A Contact must be specified for this type of transaction"),
    ("elements with only the generic line", 400, validation(GENERIC_500), {}, None, C.UNKNOWN, GENERIC_500[:-1]),
    # --- other 400 Types (6.1): no Elements, e.reason is just "Bad Request" ------------------------------
    ("PostDataInvalidException", 400,
     '{"ErrorNumber":14,"Type":"PostDataInvalidException","Message":"Error converting value \\"NO_TAX\\" to type '
     '\'Xero.API.Library..LineAmountType\'. Path \'ManualJournals[0].LineAmountTypes\'."}', {}, None, C.UNKNOWN,
     "Error converting value \"NO_TAX\" to type 'Xero.API.Library..LineAmountType'. Path "
     "'ManualJournals[0].LineAmountTypes'"),
    ("QueryParseException", 400, '{"ErrorNumber":16,"Type":"QueryParseException","Message":"Unterminated string '
                                 'literal"}', {}, None, C.UNKNOWN, "Unterminated string literal"),
    ("ObjectNotFoundException", 400, '{"Type":"ObjectNotFoundException","Message":"Resource not found"}', {}, None,
     C.NOT_FOUND, "Resource not found"),
    ("OrganisationOfflineException", 400, '{"Type":"OrganisationOfflineException","Message":"The Organisation is '
                                          'offline"}', {}, None, C.TRANSIENT, ""),
    ("NoDataProcessedException", 400, '{"Type":"NoDataProcessedException","Message":"No data has been processed"}',
     {}, None, C.UNKNOWN, "No data has been processed"),
    # --- 400 without any structure -----------------------------------------------------------------------
    ("generic problem JSON on a 400", 400,
     json.dumps({"Title": "An error occurred", "Detail": GENERIC_500, "Status": 500,
                 "Instance": "70e430b3-b708-4fd4-80f8-f41669bafd13"}), {}, None, C.TRANSIENT, ""),
    ("generic text on a 400", 400, GENERIC_500, {}, None, C.TRANSIENT, ""),
    ("non-JSON 400", 400, "<html>not json</html>", {}, None, C.UNKNOWN, ""),
    ("empty 400", 400, "", {}, None, C.UNKNOWN, ""),
    # --- OAuth (7.2, rows 6-7) ---------------------------------------------------------------------------
    ("invalid_grant", 400, '{"error":"invalid_grant"}', {}, None, C.AUTH_EXPIRED, "Xero answered invalid_grant"),
    ("invalid_grant, described", 400, '{"error":"invalid_grant","error_description":"expired"}', {}, None,
     C.AUTH_EXPIRED, "Xero answered invalid_grant"),
    ("unauthorized_client, pretty-printed", 400, '{\n "error": "unauthorized_client"\n}', {}, None, C.AUTH_EXPIRED,
     "Xero answered unauthorized_client"),
    ("invalid_client 400", 400, '{"error":"invalid_client"}', {}, None, C.AUTH_EXPIRED, "Xero answered invalid_client"),
    ("invalid_client 401", 401, '{"error":"invalid_client"}', {}, None, C.AUTH_EXPIRED, "Xero answered invalid_client"),
    ("unsupported_grant_type", 400, '{"error":"unsupported_grant_type"}', {}, None, C.UNKNOWN,
     "Xero answered unsupported_grant_type"),
    # --- 401 / 403 (6.2) ---------------------------------------------------------------------------------
    ("401 TokenExpired", 401, problem(401, "Unauthorized", "TokenExpired: token expired at 04/09/2023 05:16:59"), {},
     None, C.AUTH_EXPIRED, "the access token expired"),
    ("401 AuthenticationUnsuccessful", 401,
     '{"title":"Unauthorized","status":401,"detail":"AuthenticationUnsuccessful",'
     '"instance":"e3ec736b-3932-4630-a701-89098e09d5c9"}', {"WWW-Authenticate": "Bearer error=invalid_token"}, None,
     C.AUTH_EXPIRED, ROTATED),
    ("401 AuthorizationUnsuccessful", 401, problem(401, "Unauthorized", "AuthorizationUnsuccessful"), {}, None,
     C.AUTH_EXPIRED, "the app lacks a permission (scope) it needs"),
    ("401 empty", 401, "", {}, None, C.AUTH_EXPIRED, ROTATED),
    ("403 tenant gone", 403, problem(403, "Forbidden", "AuthenticationUnsuccessful",
                                     "10fa664c-61e3-453e-b7f4-c087cfc82401"), {}, None, C.AUTH_EXPIRED,
     "the organisation is no longer connected to this app"),
    # --- 404, 429 (6.3, 6.4) -----------------------------------------------------------------------------
    ("404", 404, "The resource you're looking for cannot be found", {}, None, C.NOT_FOUND, ""),
    *[(f"429 {p}", 429, "", LIMIT(p), None, C.RATE_LIMITED, f"Xero's {p} limit")
      for p in ("minute", "day", "concurrent")],
    ("429 appminute", 429, "", LIMIT("appminute"), None, C.RATE_LIMITED,
     "Xero's app-wide minute limit across all organisations is reached (not this organisation's)"),
    ("429 text, no headers", 429, "Rate limit exceeded", {}, None, C.RATE_LIMITED, ""),
    ("503 OAuth 1 rate limit", 503,
     "oauth_problem=rate%20limit%20exceeded&oauth_problem_advice=please%20wait%20before%20retrying%20the%20xero%20api",
     {}, None, C.RATE_LIMITED, ""),
    # --- 5xx (6.5) and others (row 21) -------------------------------------------------------------------
    ("500 JSON", 500, json.dumps({"Title": "An error occurred", "Detail": GENERIC_500, "Status": 500,
                                  "Instance": "70e430b3-b708-4fd4-80f8-f41669bafd13"}), {}, None, C.TRANSIENT, ""),
    ("500 XML", 500, XML_500, {}, None, C.TRANSIENT, ""),
    ("500 HTML", 500, "<html><head><title>Xero | Error 500</title></head><body>Error</body></html>", {}, None,
     C.TRANSIENT, ""),
    ("503 maintenance", 503, "The Xero API is currently offline for maintenance", {}, None, C.TRANSIENT, ""),
    ("503 unavailable", 503, "The Xero API is temporarily unavailable", {}, None, C.TRANSIENT, ""),
    ("503 organisation offline", 503, "The organisation temporarily cannot be connected to", {}, None, C.TRANSIENT,
     ""),
    ("503 organisation offline (3P)", 503, "The Organisation is offline", {}, None, C.TRANSIENT, ""),
    ("502 empty", 502, "", {}, None, C.TRANSIENT, ""),
    ("504 empty", 504, "", {}, None, C.TRANSIENT, ""),
    ("501", 501, "The Api Method called is not implemented", {}, None, C.UNKNOWN, ""),
    ("412", 412, "", {}, None, C.UNKNOWN, ""),
    # --- 200 with summarizeErrors=false (4.5) ------------------------------------------------------------
    ("200 mixed batch", 200, MIXED_200, {}, None, C.INVALID_ACCOUNT_OR_TAX,
     "Account code '999' is not a valid code for this document"),
    ("200 all OK", 200, json.dumps({"Status": "OK", "Invoices": [{"HasErrors": False, "StatusAttributeString": "OK"}]}),
     {}, None, C.UNKNOWN, ""),
]


def _expected(category, detail):
    seed = message_for(category, "Xero")
    return f"{seed}: {detail}" if detail else seed


@pytest.mark.parametrize(("status", "body", "headers", "remote_status", "category", "detail"),
                         [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_classify_response_lands_each_shape_in_its_category_with_the_seed_words(status, body, headers, remote_status,
                                                                                category, detail):
    error = classify_response(status, body.encode(), headers, remote_status=remote_status)
    assert (error.category, error.message) == (category, _expected(category, detail))
    assert error.detail == detail and error.fix and error.http_status == status
    assert error.retryable == (category in (C.TRANSIENT, C.RATE_LIMITED))


def _element_errors(body: str) -> list[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return []
    elements = data.get("Elements") or [] if isinstance(data, dict) else []
    return [v["Message"] for e in elements for v in e.get("ValidationErrors", [])]


# Every validation message of XERO.md's tables (6.1 and section 10) and the issue's, from the rows above.
MESSAGES = sorted({m for row in ROWS if row[1] == 400 for m in _element_errors(row[2])} - {GENERIC_500})


@pytest.mark.parametrize("message", MESSAGES)
def test_a_400_with_validation_elements_is_never_transient(message):
    plain = classify_response(400, validation(message).encode(), {})
    for body in (validation(message, message=GENERIC_500), validation(GENERIC_500, message),
                 validation(message, GENERIC_500, message=GENERIC_500)):
        error = classify_response(400, body.encode(), {})
        assert error.category != C.TRANSIENT and not error.retryable
        assert (error.category, error.message) == (plain.category, plain.message)


def test_the_table_covers_every_message_of_xero_md():
    assert len(MESSAGES) >= 35  # one row per message of XERO.md 6.1 and section 10, and the issue's


def test_classify_response_keeps_the_correlation_id_and_the_scrubbed_body():
    body = validation("Account code '999' is not a valid code for this document.")
    error = classify_response(400, body.encode(), {"xero-correlation-id": "6489df60-8891-470e-9268-a9a43f5da71e"})
    assert error.request_id == "6489df60-8891-470e-9268-a9a43f5da71e" and "Account code '999'" in error.raw


def test_the_weightiest_message_wins_in_one_body():
    body = validation("A Contact must be specified for this type of transaction", "Account must be valid.",
                      "Account code must be specified",
                      "This document cannot be edited as it has a payment or credit note allocated to it.")
    assert classify_response(400, body.encode(), {}).category == C.INVOICE_LOCKED
    body = validation("A Contact must be specified for this type of transaction", "Account must be valid.")
    assert classify_response(400, body.encode(), {}).category == C.INVALID_ACCOUNT_OR_TAX
    body = validation("Contact cannot be empty.", warnings=["Account code '600' has been removed as it does not "
                                                            "match a recognised account."])
    assert classify_response(400, body.encode(), {}).category == C.VALIDATION  # the error blocks, not the warning
