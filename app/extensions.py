"""Extension singletons, initialised in create_app()."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from app.db import Base
from app.openapi import Api

db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
api = Api()
# Storage and switch come from RATELIMIT_STORAGE_URI and RATELIMIT_ENABLED.
limiter = Limiter(key_func=get_remote_address)
