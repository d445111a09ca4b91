"""The consumer's pages: book, reschedule or cancel from the SMS link; rate a finished visit."""

from flask import Blueprint

bp = Blueprint("consumer", __name__, template_folder="templates")
