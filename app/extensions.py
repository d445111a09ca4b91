"""Extension singletons, initialised in create_app()."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from app.db import Base
from app.openapi import Api

db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
api = Api()
