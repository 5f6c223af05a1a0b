"""Customers: create, retrieve, update, delete, list."""

from __future__ import annotations

from typing import Any

from ..params import METADATA, PAGINATION, STR, merge_metadata
from ..routing import Call, Routes, paginate

ROUTES = Routes()

FIELDS = {"email": STR, "name": STR, "description": STR, "phone": STR, "metadata": METADATA}
KIND = "customer"


def get(call: Call, customer_id: str, param: str = "customer") -> dict[str, Any]:
    return call.store.get(customer_id, KIND, call.account, param=param)


@ROUTES.api("POST", "/v1/customers", FIELDS, sdk="CustomerCreateParams")
def create(call: Call) -> dict[str, Any]:
    store = call.store
    customer: dict[str, Any] = {
        "id": store.new_id("cus_", 14),
        "object": KIND,
        "address": None,
        "balance": 0,
        "created": store.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": call.params.get("description"),
        "email": call.params.get("email"),
        "invoice_settings": {"default_payment_method": None},
        "livemode": False,
        "metadata": merge_metadata({}, call.params.get("metadata"), call.has("metadata")),
        "name": call.params.get("name"),
        "phone": call.params.get("phone"),
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
    }
    store.insert(customer, call.account)
    store.emit("customer.created", customer, call.account)
    return customer


@ROUTES.api("GET", "/v1/customers/{customer}", sdk="CustomerRetrieveParams")
def retrieve(call: Call) -> dict[str, Any]:
    return get(call, call.args["customer"], param="id")


@ROUTES.api("POST", "/v1/customers/{customer}", FIELDS, sdk="CustomerUpdateParams")
def update(call: Call) -> dict[str, Any]:
    customer = get(call, call.args["customer"], param="id")
    previous: dict[str, Any] = {}
    for name in ("email", "name", "description", "phone"):
        if call.has(name) and call.params[name] != customer[name]:
            previous[name] = customer[name]
            customer[name] = call.params[name]
    metadata = merge_metadata(customer["metadata"], call.params.get("metadata"), call.has("metadata"))
    if metadata != customer["metadata"]:
        previous["metadata"] = customer["metadata"]
        customer["metadata"] = metadata
    if previous:
        call.store.emit("customer.updated", customer, call.account, previous)
    return customer


@ROUTES.api("DELETE", "/v1/customers/{customer}", sdk="CustomerDeleteParams")
def delete(call: Call) -> dict[str, Any]:
    customer = get(call, call.args["customer"], param="id")
    call.store.delete(customer["id"])
    call.store.emit("customer.deleted", customer, call.account)
    return {"id": customer["id"], "object": KIND, "deleted": True}


@ROUTES.api("GET", "/v1/customers", {"email": STR, **PAGINATION}, sdk="CustomerListParams")
def list_customers(call: Call) -> dict[str, Any]:
    email = call.params.get("email")
    found = call.store.select(KIND, call.account, lambda c: email is None or c["email"] == email)
    return paginate(call, found, "/v1/customers")
