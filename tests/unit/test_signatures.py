"""Webhook signatures: Stripe's scheme, secret rotation, tolerance both ways, hostile headers."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from pos.payments.signatures import DEFAULT_TOLERANCE, SignatureError, sign, verify

BODY = b'{"id": "evt_1", "type": "payment.succeeded", "note": "\xc3\xb6deme"}'
SECRET = "whsec_current"
OLD_SECRET = "whsec_previous"
T = 1_764_250_000


def v1(payload: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def test_a_signed_body_verifies_and_gives_its_timestamp():
    header = sign(BODY, SECRET, timestamp=T)
    assert header == f"t={T},v1={v1(BODY, SECRET, T)}"
    assert verify(BODY, header, [SECRET], now=T) == T


def test_sign_uses_the_current_time_by_default():
    header = sign(BODY, SECRET)
    assert abs(verify(BODY, header, [SECRET]) - time.time()) < 5


def test_a_changed_body_is_refused():
    header = sign(BODY, SECRET, timestamp=T)
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(BODY + b" ", header, [SECRET], now=T)


def test_a_changed_timestamp_is_refused():
    signature = v1(BODY, SECRET, T)
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(BODY, f"t={T + 1},v1={signature}", [SECRET], now=T)


def test_a_forged_signature_is_refused():
    with pytest.raises(SignatureError):
        verify(BODY, sign(BODY, "whsec_attacker", timestamp=T), [SECRET], now=T)


def test_any_of_several_v1_values_may_match():
    header = f"t={T},v1={v1(BODY, OLD_SECRET, T)},v1={'0' * 64},v1={v1(BODY, SECRET, T)}"
    assert verify(BODY, header, [SECRET], now=T) == T


def test_any_of_several_secrets_may_match_during_a_rotation():
    header = sign(BODY, OLD_SECRET, timestamp=T)
    assert verify(BODY, header, [SECRET, OLD_SECRET], now=T) == T
    with pytest.raises(SignatureError):
        verify(BODY, header, [SECRET], now=T)


def test_unknown_schemes_and_spaces_are_tolerated():
    header = f"t={T}, v0={'f' * 64}, v1={v1(BODY, SECRET, T).upper()}, x=y"
    assert verify(BODY, header, [SECRET], now=T) == T


@pytest.mark.parametrize("offset", [-DEFAULT_TOLERANCE, 0, DEFAULT_TOLERANCE])
def test_the_tolerance_edge_is_accepted(offset):
    assert verify(BODY, sign(BODY, SECRET, timestamp=T), [SECRET], now=T + offset) == T


@pytest.mark.parametrize(
    ("offset", "what"), [(DEFAULT_TOLERANCE + 1, "stale"), (-DEFAULT_TOLERANCE - 1, "future")]
)
def test_stale_and_future_timestamps_are_refused(offset, what):
    header = sign(BODY, SECRET, timestamp=T)
    with pytest.raises(SignatureError, match="away from now"):
        verify(BODY, header, [SECRET], now=T + offset)


def test_the_tolerance_is_configurable():
    header = sign(BODY, SECRET, timestamp=T)
    assert verify(BODY, header, [SECRET], now=T + 30, tolerance=30) == T
    with pytest.raises(SignatureError):
        verify(BODY, header, [SECRET], now=T + 31, tolerance=30)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        f"v1={'a' * 64}",  # no timestamp
        f"t={T}",  # no signature
        f"t={T},v1=",
        f"t={T},v1=zz{'a' * 62}",
        f"t={T},v1=ÿ{'a' * 63}",  # compare_digest would raise TypeError on non-ASCII
        f"t={T},t={T},v1={'a' * 64}",  # two timestamps: which one was signed?
        f"t=1_764_250_000,v1={'a' * 64}",
        f"t=-5,v1={'a' * 64}",
        f"t=١٧٦٤٢٥٠٠٠٠,v1={'a' * 64}",  # Arabic-Indic digits, which int() accepts
        f"t={'9' * 400},v1={'a' * 64}",
        "t=" + "1," * 5000,
        "=,=,==,,,",
    ],
)
def test_malformed_headers_are_refused(header):
    with pytest.raises(SignatureError):
        verify(BODY, header, [SECRET], now=T)


def test_no_configured_secret_refuses_rather_than_accepts():
    header = sign(BODY, SECRET, timestamp=T)
    with pytest.raises(SignatureError):
        verify(BODY, header, [], now=T)
    with pytest.raises(SignatureError):
        verify(BODY, header, [""], now=T)


def test_an_empty_secret_cannot_sign():
    with pytest.raises(ValueError, match="empty"):
        sign(BODY, "")


@given(header=st.text(max_size=300), payload=st.binary(max_size=100))
def test_arbitrary_headers_raise_nothing_but_signature_error(header, payload):
    with pytest.raises(SignatureError):
        verify(payload, header, [SECRET], now=T)


pieces = st.one_of(
    st.just(f"t={T}"),
    st.builds(lambda n: f"t={n}", st.integers()),
    st.builds(lambda s: f"v1={s}", st.text(max_size=70)),
    st.builds(lambda s: f"v1={s}", st.text("0123456789abcdefABCDEF", min_size=64, max_size=64)),
    st.text(max_size=20),
)


@given(parts=st.lists(pieces, max_size=8), separator=st.sampled_from([",", ", ", ",,"]))
def test_near_miss_headers_raise_nothing_but_signature_error(parts, separator):
    with pytest.raises(SignatureError):
        verify(BODY, separator.join(parts), [SECRET], now=T)


# -- Stripe's own library agrees -------------------------------------------------------------


def test_a_header_from_stripes_library_is_accepted():
    header = stripe.WebhookSignature.generate_signature_header(BODY.decode(), SECRET, timestamp=T)
    assert verify(BODY, header, [SECRET], now=T) == T


def test_stripes_library_accepts_our_header():
    header = sign(BODY, SECRET)
    assert stripe.WebhookSignature.verify_header(BODY, header, SECRET, DEFAULT_TOLERANCE) is True


def test_stripes_library_refuses_our_header_under_another_secret():
    header = sign(BODY, SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY, header, OLD_SECRET, DEFAULT_TOLERANCE)


@given(payload=st.text(max_size=200), timestamp=st.integers(min_value=0, max_value=10**11))
def test_stripe_and_we_sign_identically(payload, timestamp):
    ours = sign(payload.encode(), SECRET, timestamp=timestamp)
    theirs = stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp)
    assert ours == theirs
