"""Hosted pages a browser completes: Checkout, Connect onboarding, 3-D Secure, Express dashboard.

Plain HTML forms: no JavaScript and no external resources, so they work offline and in any
test browser. Every state change goes through the same resource code as the API.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from . import money
from .errors import StripeError
from .resources import accounts, checkout, payment_intents
from .responses import Response, html_response, redirect
from .routing import Call
from .state import PLATFORM

if TYPE_CHECKING:
    from .server import Emulator

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0}
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;
 box-shadow:0 2px 8px #0002}
.badge{display:inline-block;background:#ffde92;color:#5b3d00;padding:.1rem .5rem;border-radius:4px;
 font-size:.8rem}
label{display:block;margin:.8rem 0 .3rem}input,select{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1rem;border:0;border-radius:4px;background:#635bff;color:#fff;
 cursor:pointer}
button.secondary{background:#e3e8ee;color:#1a1f36}.error{color:#c0123c}
table{width:100%;border-collapse:collapse}td{padding:.3rem 0}td.amount{text-align:right}
"""


def _page(title: str, body: str, *, refresh_to: str | None = None) -> str:
    refresh = f'<meta http-equiv="refresh" content="2;url={escape(refresh_to)}">' if refresh_to else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{refresh}'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body><main>"
        f'<p class="badge">Stripe emulator &middot; test mode</p><h1>{escape(title)}</h1>{body}'
        "</main></body></html>"
    )


def _message(status: int, title: str, text: str, *, refresh_to: str | None = None) -> Response:
    body = f"<p>{escape(text)}</p>"
    if refresh_to:
        body += f'<p><a id="continue" href="{escape(refresh_to)}">Continue</a></p>'
    return html_response(status, _page(title, body, refresh_to=refresh_to))


def handle(emulator: Emulator, method: str, path: str, body: bytes) -> Response:
    form = dict(parse_qsl(body.decode(), keep_blank_values=True)) if body else {}
    for (route_method, pattern), page in _PAGES.items():
        found = re.fullmatch(pattern, path)
        if found and route_method == method:
            with emulator.lock:
                response = page(emulator, found.group(1), form)
                response.events = emulator.store.take_outbox()
                if method == "POST":
                    emulator.persist()
            return response
    return _message(404, "Not found", f"No page at {path}.")


def _call(emulator: Emulator, account: str) -> Call:
    return Call(emulator.store, {}, {}, account, emulator.base_url)


def _owned(emulator: Emulator, object_id: str, kind: str) -> tuple[dict[str, Any], Call] | None:
    obj = emulator.store.find(object_id)
    if obj is None or obj["object"] != kind:
        return None
    return obj, _call(emulator, emulator.store.owner(object_id))


# ---- Checkout ---------------------------------------------------------------------------------

CHECKOUT_CARDS = {
    "visa": "Visa •••• 4242 (succeeds)",
    "chargeDeclined": "Visa •••• 0002 (declined)",
    "chargeDeclinedInsufficientFunds": "Visa •••• 9995 (insufficient funds)",
}


def checkout_page(
    emulator: Emulator, session_id: str, form: dict[str, str], error: str | None = None
) -> Response:
    found = _owned(emulator, session_id, checkout.KIND)
    if found is None:
        return _message(404, "Checkout", "This Checkout Session does not exist.")
    session, call = found
    checkout.get(call, session_id)  # expires it if its time is up
    if session["status"] != "open":
        return _message(410, "Checkout", f"This Checkout Session is {session['status']}.")
    currency = session["currency"]
    rows = "".join(
        f"<tr><td>{escape(item['description'])} &times; {item['quantity']}</td>"
        f'<td class="amount">{escape(money.format_amount(item["amount_total"], currency))}</td></tr>'
        for item in session["_line_items"]["data"]
    )
    total = escape(money.format_amount(session["amount_total"], currency))
    cards = "".join(
        f'<option value="{name}">{escape(label)}</option>' for name, label in CHECKOUT_CARDS.items()
    )
    alert = f'<p class="error" role="alert" id="error">{escape(error)}</p>' if error else ""
    body = f"""{alert}<table>{rows}<tr><th>Total</th><td class="amount" id="total">{total}</td></tr></table>
<form method="post" action="/pages/checkout/{escape(session_id)}/pay">
<label for="email">Email</label><input id="email" name="email" type="email" required
 value="{escape(session["customer_email"] or "")}">
<label for="card">Test card</label><select id="card" name="card">{cards}</select>
<button id="pay" type="submit">Pay {total}</button></form>
<form method="post" action="/pages/checkout/{escape(session_id)}/cancel">
<button id="cancel" class="secondary" type="submit">Cancel</button></form>"""
    return html_response(402 if error else 200, _page("Checkout", body))


def checkout_pay(emulator: Emulator, session_id: str, form: dict[str, str]) -> Response:
    found = _owned(emulator, session_id, checkout.KIND)
    if found is None:
        return _message(404, "Checkout", "This Checkout Session does not exist.")
    session, call = found
    checkout.get(call, session_id)
    error = checkout.pay(call, session, form.get("card", "visa"), form.get("email") or None)
    if error:
        return checkout_page(emulator, session_id, form, error)
    if session["success_url"]:
        return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id))
    return _message(200, "Payment succeeded", "Thank you: the payment went through.")


def checkout_cancel(emulator: Emulator, session_id: str, form: dict[str, str]) -> Response:
    found = _owned(emulator, session_id, checkout.KIND)
    if found is None:
        return _message(404, "Checkout", "This Checkout Session does not exist.")
    session, _ = found
    # As on Stripe, leaving Checkout does not close the session: it expires later.
    if session["cancel_url"]:
        return redirect(session["cancel_url"].replace("{CHECKOUT_SESSION_ID}", session_id))
    return _message(200, "Checkout canceled", "You left the payment page.")


# ---- Connect onboarding -----------------------------------------------------------------------

BANK_CHOICES = {
    accounts.BANK_SUCCEEDS: "000123456789 (payouts succeed)",
    accounts.BANK_NO_ACCOUNT: "000111111116 (payouts fail: no_account)",
    accounts.BANK_ACCOUNT_CLOSED: "000111111113 (payouts fail: account_closed)",
}


def _stale_link(link: dict[str, Any]) -> Response:
    return _message(
        410,
        "Link expired",
        "This onboarding link has expired or was already used. You are being sent back to get a new one.",
        refresh_to=link["refresh_url"],
    )


def onboarding_page(emulator: Emulator, token: str, form: dict[str, str]) -> Response:
    store = emulator.store
    link = store.links.get(token)
    if link is None:
        return _message(404, "Onboarding", "This onboarding link does not exist.")
    # Account Links are single-use: opening one consumes it, as on Stripe.
    if link["opened"] or store.now() >= link["expires_at"]:
        return _stale_link(link)
    link.update(opened=True, form_token=secrets.token_urlsafe(16))
    account = accounts.get(store, link["account"])
    banks = "".join(
        f'<option value="{number}">{escape(label)}</option>' for number, label in BANK_CHOICES.items()
    )
    body = f"""<p>Account <code id="account">{escape(account["id"])}</code>
{escape(account["email"] or "")}</p>
<form method="post" action="/pages/onboarding/{escape(token)}">
<input type="hidden" name="form_token" value="{link["form_token"]}">
<label for="business_name">Business name</label><input id="business_name" name="business_name">
<label for="bank">Test bank account</label><select id="bank" name="bank">{banks}</select>
<button id="submit" name="action" value="complete" type="submit">Agree and submit</button>
<button id="leave" class="secondary" name="action" value="leave" type="submit">
Return without finishing</button>
</form>"""
    return html_response(200, _page("Set up payouts", body))


def onboarding_submit(emulator: Emulator, token: str, form: dict[str, str]) -> Response:
    store = emulator.store
    link = store.links.get(token)
    if link is None:
        return _message(404, "Onboarding", "This onboarding link does not exist.")
    if link["completed"] or not link["form_token"] or form.get("form_token") != link["form_token"]:
        return _stale_link(link)
    link["completed"] = True
    if form.get("action", "complete") == "complete":
        account = accounts.get(store, link["account"])
        if form.get("business_name"):
            account["business_profile"]["name"] = form["business_name"]
        accounts.complete_onboarding(store, account, form.get("bank") or accounts.BANK_SUCCEEDS)
    return redirect(link["return_url"])


# ---- 3-D Secure -------------------------------------------------------------------------------


def authenticate_page(emulator: Emulator, intent_id: str, form: dict[str, str]) -> Response:
    found = _owned(emulator, intent_id, payment_intents.KIND)
    if found is None or found[0]["status"] != "requires_action":
        return _message(404, "Authentication", "Nothing to authenticate here.")
    body = f"""<p>Amount: {escape(money.format_amount(found[0]["amount"], found[0]["currency"]))}</p>
<form method="post" action="/pages/authenticate/{escape(intent_id)}">
<button id="complete" name="action" value="complete" type="submit">Complete authentication</button>
<button id="fail" class="secondary" name="action" value="fail" type="submit">Fail authentication</button>
</form>"""
    return html_response(200, _page("3D Secure test payment", body))


def authenticate_submit(emulator: Emulator, intent_id: str, form: dict[str, str]) -> Response:
    found = _owned(emulator, intent_id, payment_intents.KIND)
    if found is None:
        return _message(404, "Authentication", "Nothing to authenticate here.")
    intent, call = found
    try:
        payment_intents.authenticate(call, intent, form.get("action") == "complete")
    except StripeError as exc:
        return _message(400, "Authentication", exc.message)
    outcome = "succeeded" if intent["status"] in ("succeeded", "requires_capture") else "failed"
    if intent.get("_return_url"):
        query = urlencode(
            {
                "payment_intent": intent["id"],
                "payment_intent_client_secret": intent["client_secret"],
                "redirect_status": outcome,
            }
        )
        separator = "&" if "?" in intent["_return_url"] else "?"
        return redirect(f"{intent['_return_url']}{separator}{query}")
    return _message(200, "Authentication", f"Authentication {outcome}. You can close this page.")


# ---- Express dashboard (login links) ----------------------------------------------------------


def dashboard_page(emulator: Emulator, account_id: str, form: dict[str, str]) -> Response:
    store = emulator.store
    account = store.find(account_id)
    if account is None or account["object"] != accounts.KIND or store.owner(account_id) != PLATFORM:
        return _message(404, "Dashboard", "No such account.")
    balances = "".join(
        f"<li>{escape(money.format_amount(amount, currency))}</li>"
        for currency, amount in sorted(store.balances.get(account_id, {}).items())
    )
    payouts = "".join(
        f"<li>{escape(p['id'])}: {escape(money.format_amount(p['amount'], p['currency']))} "
        f"{escape(p['status'])}</li>"
        for p in store.select("payout", account_id)
    )
    body = f"<p>{escape(account_id)}</p><h2>Balance</h2><ul>{balances or '<li>0</li>'}</ul>"
    body += f"<h2>Payouts</h2><ul>{payouts or '<li>None yet</li>'}</ul>"
    return html_response(200, _page("Express dashboard", body))


PageHandler = Callable[["Emulator", str, dict[str, str]], Response]
_PAGES: dict[tuple[str, str], PageHandler] = {
    ("GET", r"/pages/checkout/([\w]+)"): checkout_page,
    ("POST", r"/pages/checkout/([\w]+)/pay"): checkout_pay,
    ("POST", r"/pages/checkout/([\w]+)/cancel"): checkout_cancel,
    ("GET", r"/pages/onboarding/([\w-]+)"): onboarding_page,
    ("POST", r"/pages/onboarding/([\w-]+)"): onboarding_submit,
    ("GET", r"/pages/authenticate/([\w]+)"): authenticate_page,
    ("POST", r"/pages/authenticate/([\w]+)"): authenticate_submit,
    ("GET", r"/pages/dashboard/([\w]+)"): dashboard_page,
}
