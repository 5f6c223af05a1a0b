"""Settings shared by every environment. Everything that varies comes from the environment.

With no variable set the project runs on SQLite with Celery in eager mode and talks to the
local Stripe emulator, so a newcomer sees the whole product working with no services.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me-not-for-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "common",
    "creators",
    "payments",
    "shops",
    "affiliates",
    "marketplace",
    "bonuses",
    "notifications",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "common.security.SecurityHeadersMiddleware",  # CSP and Permissions-Policy on every answer
    "common.security.TrustedProxyMiddleware",  # the client's address behind a load balancer
    "affiliates.redirect_views.LinkFastLaneMiddleware",  # /r/<code> skips the layers below
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "creators.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shops.context_processors.cart",
                "notifications.context_processors.unread",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "creators.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "creators:dashboard"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("ja", _("Japanese")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Files sold as digital products: never under MEDIA_URL, served only through a signed download link.
PRIVATE_MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024  # an ingestion batch of 1,000 rows fits well inside

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Creator Platform <no-reply@localhost>")

# Redis is optional: without REDIS_URL the cache is in-process and Celery runs tasks eagerly.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
# Celery's Django fixup closes every database connection around every task unless this is set;
# set this high, config.celery_app closes them as Django does between requests (CONN_MAX_AGE).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1_000_000)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "common-heartbeat": {"task": "common.heartbeat", "schedule": crontab(minute="*/5")},
    "payments-release-holds": {"task": "payments.release_due_holds", "schedule": crontab(minute="*/10")},
    "payments-settle-missed": {"task": "payments.settle_missed", "schedule": crontab(minute="*/10")},
    "payments-run-payouts": {"task": "payments.run_payouts", "schedule": crontab(hour=6, minute=0)},
    "payments-resume-payouts": {"task": "payments.resume_payouts", "schedule": crontab(minute="*/10")},
    "payments-reconcile": {"task": "payments.reconcile", "schedule": crontab(hour=3, minute=30)},
    "bonuses-resume-runs": {"task": "bonuses.resume_runs", "schedule": crontab(minute="*/10")},
    "bonuses-refresh-estimates": {
        "task": "bonuses.refresh_estimates",
        "schedule": crontab(hour=2, minute=15),
    },
    "bonuses-mark-runs-paid": {"task": "bonuses.mark_runs_paid", "schedule": crontab(minute=20)},
    "bonuses-auto-invite": {"task": "bonuses.auto_invite", "schedule": crontab(hour=1, minute=45)},
    "marketplace-auto-approve": {
        "task": "marketplace.auto_approve_deliverables",
        "schedule": crontab(minute="*/15"),
    },
    "marketplace-measure-listings": {
        "task": "marketplace.measure_listings",
        "schedule": crontab(hour=4, minute=15),
    },
    "shops-release-expired-orders": {"task": "shops.release_expired_orders", "schedule": crontab(minute="*")},
    "shops-complete-delivered-orders": {
        "task": "shops.complete_delivered_orders",
        "schedule": crontab(hour=4, minute=15),
    },
    "affiliates-flush-clicks": {"task": "affiliates.flush_clicks", "schedule": crontab(minute="*")},
    "notifications-delete-old-read": {
        "task": "notifications.delete_old_read",
        "schedule": crontab(hour=3, minute=45),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "creators.authentication.JWTAuthentication",  # simplejwt's, plus the user's language
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.DefaultPageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "common.schema.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="10/min"),
        "token_refresh": env("THROTTLE_TOKEN_REFRESH", default="30/min"),
        "signup": env("THROTTLE_SIGNUP", default="5/hour"),
        "ingest": env("THROTTLE_INGEST", default="600/min"),
        "checkout": env("THROTTLE_CHECKOUT", default="30/min"),
        "offer_create": env("THROTTLE_OFFER_CREATE", default="60/hour"),
    },
    "DEFAULT_RENDERER_CLASSES": ["common.renderers.FastJSONRenderer"],  # DRF's JSON, written by orjson
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # `format` is a filter here (reel, carousel, standard), not a renderer override.
    "URL_FORMAT_OVERRIDE": None,
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=30),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Creator Platform API",
    "DESCRIPTION": 'The REST API used by the mobile apps. Errors: {"error": {"code", "message", "fields"}}.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status"; name their choice sets after what they describe.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "shops.enums.OrderStatus",
        "NotificationTypeEnum": "notifications.enums.NotificationType",
        "TypeEnum": "shops.enums.ProductType",  # the name it had before notifications had a type too
    },
}

# SQLite (the zero-setup run) cannot enforce "one cart line per product and variant" when the
# variant is empty (NULLS NOT DISTINCT); PostgreSQL does, and shops.cart merges lines anyway.
SILENCED_SYSTEM_CHECKS = ["models.W047"] if "sqlite" in DATABASES["default"]["ENGINE"] else []

# Web rate limits (django-ratelimit), per client address.
RATELIMIT_LOGIN = env("RATELIMIT_LOGIN", default="10/m")
RATELIMIT_SIGNUP = env("RATELIMIT_SIGNUP", default="5/h")
RATELIMIT_PASSWORD_RESET = env("RATELIMIT_PASSWORD_RESET", default="5/h")
RATELIMIT_OFFER_CREATE = env("RATELIMIT_OFFER_CREATE", default="60/h")  # offers, counters, applications
RATELIMIT_VIEW = "common.views.rate_limited"

# Login lockout (creators/login_lockout.py): this many failed logins for one email inside the
# window lock that email's logins (web and API) for the lockout period, right password or not.
LOGIN_LOCKOUT_ATTEMPTS = env.int("LOGIN_LOCKOUT_ATTEMPTS", default=5)
LOGIN_LOCKOUT_WINDOW_SECONDS = env.int("LOGIN_LOCKOUT_WINDOW_SECONDS", default=15 * 60)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)

# Security headers (common/security.py). Django's SecurityMiddleware sends nosniff,
# Referrer-Policy and Cross-Origin-Opener-Policy; XFrameOptionsMiddleware sends X-Frame-Options.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURITY_CSP_ENABLED = env.bool("SECURITY_CSP_ENABLED", default=True)
SECURITY_CSP_REPORT_ONLY = env.bool("SECURITY_CSP_REPORT_ONLY", default=False)
SECURITY_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"
# How many reverse proxies in front of the app append to X-Forwarded-For (0: none, REMOTE_ADDR is
# the client). The per-address limits need the client's real address.
SECURITY_TRUSTED_PROXIES = env.int("SECURITY_TRUSTED_PROXIES", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = SECURITY_TRUSTED_PROXIES

# Stripe: with nothing set, the local emulator (stripe_emulator/) stands in for Stripe.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_emulator")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="whsec_emulator")
# Connected accounts' events come from a second endpoint, signed with its own secret (optional).
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:12111")
# Origins of Stripe's hosted pages (Checkout, Connect onboarding) that the site's forms redirect
# to; the emulator serves them from STRIPE_API_BASE, which the CSP's form-action always allows.
STRIPE_HOSTED_ORIGINS = env.list("STRIPE_HOSTED_ORIGINS", default=[])

# Shops: how long an unpaid order keeps its stock; digital downloads per purchase and how long
# a purchase (and each emailed link) stays downloadable.
SHOP_RESERVATION_MINUTES = 30
SHOP_DOWNLOAD_LIMIT = 5
SHOP_DOWNLOAD_DAYS = 30
SHOP_DOWNLOAD_LINK_HOURS = 72
RATELIMIT_CHECKOUT = env("RATELIMIT_CHECKOUT", default="20/m")  # checkout POSTs per IP

# Days that earnings stay `pending` before they become `available`, by source (refund windows
# and review holds). A shop's own refund window, passed with its splits, overrides the default.
PAYMENTS_HOLD_DAYS = {"shop_sale": 30, "affiliate_commission": 30, "sponsorship": 7, "bonus": 14}
# The smallest `available` balance, in minor units, that a payout run transfers.
PAYOUT_MINIMUM_MINOR = {"USD": 1000, "EUR": 1000, "JPY": 1000, "KRW": 10000}

INGEST_MAX_BATCH = 1000
DIRECTORY_CACHE_SECONDS = env.int("DIRECTORY_CACHE_SECONDS", default=30)
# Marketplace discovery results are cached this long (marketplace/search_cache.py); 0 turns it off.
MARKETPLACE_SEARCH_CACHE_SECONDS = env.int("MARKETPLACE_SEARCH_CACHE_SECONDS", default=30)
AVATAR_MAX_BYTES = 2 * 1024 * 1024

# Affiliates: the click buffer's Redis key prefix, the repeat-click window (a repeat inside it is
# a raw click, not a unique one), the redirect's per-address rate limit (0 = none) and the
# fraud thresholds that put a commission on hold for review.
AFFILIATE_REDIS_PREFIX = env("AFFILIATE_REDIS_PREFIX", default="aff")
AFFILIATE_UNIQUE_WINDOW_SECONDS = 30 * 60
AFFILIATE_REDIRECT_RATE_PER_MINUTE = env.int("AFFILIATE_REDIRECT_RATE_PER_MINUTE", default=600)
AFFILIATE_COOKIE_CLICKS = 10
AFFILIATE_FLOOD_CLICKS_PER_MINUTE = 120
AFFILIATE_FRAUD_LOOKBACK_DAYS = 30
AFFILIATE_FRAUD_ORDERS_PER_EMAIL = 5
AFFILIATE_FRAUD_MIN_ORDERS = 5
AFFILIATE_FRAUD_CONVERSION_MAX = 0.5

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
