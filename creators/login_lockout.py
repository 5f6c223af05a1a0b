"""Login lockout: repeated failed logins for one account lock its logins for a while.

After LOGIN_LOCKOUT_ATTEMPTS failures for one email inside LOGIN_LOCKOUT_WINDOW_SECONDS, every
login with that email is refused for LOGIN_LOCKOUT_SECONDS, even with the right password: a
password guesser learns nothing more. A successful login clears the failures; staff can lift a
lock in admin (the "Unlock sign-in" action on users).

Counters are keyed by the email typed, whether or not an account has it, so an unknown email
gets exactly the answers a real one does and the lockout does not reveal who has an account.
They live in the cache (Redis in production), which every web and API process shares; the
per-address rate limits (RATELIMIT_LOGIN, THROTTLE_LOGIN) still stop one client guessing many
accounts.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import ngettext

_PREFIX = "login-lockout"


def _key(kind: str, email: str) -> str:
    # Hashed: the cache holds no email addresses, and any typed text makes a valid key.
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"{_PREFIX}:{kind}:{digest}"


def login_lockout_seconds_left(*, email: str) -> int:
    """Seconds until ``email`` may log in again; 0 when it is not locked."""
    until = cache.get(_key("until", email))
    if until is None:
        return 0
    return max(0, math.ceil(until - time.time()))


def login_failure_record(*, email: str) -> int:
    """Count a failed login for ``email``; lock it once the failures reach the limit.

    Returns the seconds the email is now locked for (0: not locked). The window starts at the
    first failure and is not extended by later ones.
    """
    failures_key = _key("failures", email)
    cache.add(failures_key, 0, timeout=settings.LOGIN_LOCKOUT_WINDOW_SECONDS)
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # expired between add() and incr(): this failure starts a new window
        cache.set(failures_key, 1, timeout=settings.LOGIN_LOCKOUT_WINDOW_SECONDS)
        failures = 1
    if failures < settings.LOGIN_LOCKOUT_ATTEMPTS:
        return 0
    seconds = settings.LOGIN_LOCKOUT_SECONDS
    cache.set(_key("until", email), time.time() + seconds, timeout=seconds)
    cache.delete(failures_key)
    return seconds


def login_success_record(*, email: str) -> None:
    """A successful login forgets the earlier failures."""
    cache.delete(_key("failures", email))


def login_lockout_clear(*, email: str) -> bool:
    """Lift a lock and forget the failures (staff, in admin). Returns whether it was locked."""
    was_locked = login_lockout_seconds_left(email=email) > 0
    cache.delete_many([_key("until", email), _key("failures", email)])
    return was_locked


def login_lockout_message(*, seconds: int) -> str:
    """What a locked login is told (web form error and API error message), in whole minutes."""
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-in attempts for this account. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts for this account. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
