"""The server itself: reset, state file, command line, form decoding."""

# The SDK types every response field as optional and every id as "str | object"; these tests
# assert on concrete responses (and send deliberate typos), so those checks are off here.
# mypy: disable-error-code="union-attr,arg-type,index,operator"

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import stripe

from stripe_emulator import EmulatorControl, forms
from stripe_emulator.testing import configure_stripe, start_emulator


def test_reset_forgets_everything(emulator, control, pay, balance):
    pay()
    control.reset()
    assert stripe.PaymentIntent.list().data == []
    assert balance("usd") == 0


def test_state_file_survives_a_restart(tmp_path: Path):
    state = tmp_path / "stripe.json"
    with start_emulator(state_file=state) as first, configure_stripe(first.base_url):
        customer = stripe.Customer.create(email="kept@example.com")
        stripe.PaymentIntent.create(amount=900, currency="usd", payment_method="pm_card_visa", confirm=True)
    assert state.exists()
    with start_emulator(state_file=state) as second, configure_stripe(second.base_url):
        assert stripe.Customer.retrieve(customer.id).email == "kept@example.com"
        assert stripe.Balance.retrieve().available[0].amount == 900


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_command_line_starts_a_server(tmp_path: Path):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--port", str(port), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        control = EmulatorControl(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 10
        while True:
            try:
                control.health()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        with configure_stripe(control.base_url):
            intent = stripe.PaymentIntent.create(
                amount=1000, currency="usd", payment_method="pm_card_visa", confirm=True
            )
        assert intent.status == "succeeded"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_form_decoding_of_nested_keys():
    decoded = forms.decode(
        "metadata[order]=1&payment_method_types[0]=card&expand[]=a&expand[]=b&line_items[0][price_data][unit_amount]=5"
    )
    assert decoded == {
        "metadata": {"order": "1"},
        "payment_method_types": {"0": "card"},
        "expand": {"0": "a", "1": "b"},
        "line_items": {"0": {"price_data": {"unit_amount": "5"}}},
    }


def test_metadata_with_numeric_keys_stays_a_hash(emulator):
    customer = stripe.Customer.create(metadata={"0": "zero", "1": "one"})
    assert customer.metadata.to_dict() == {"0": "zero", "1": "one"}


def test_unknown_control_and_page_paths_are_404(emulator, control):
    assert control.page("/pages/nowhere").status == 404
    with pytest.raises(RuntimeError):
        control._control("POST", "/nothing")
