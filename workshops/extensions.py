"""Flask extensions, created once and bound to each application in the factory."""

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see this page."
login_manager.login_message_category = "info"
# Sessions end through the per-user token, not through Flask-Login's IP/agent heuristics.
login_manager.session_protection = None

csrf = CSRFProtect()
