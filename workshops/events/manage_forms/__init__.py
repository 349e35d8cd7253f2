"""Forms of the organisers' set-up screens: test beds, workshops, breakouts and messages to registrants.

Times are typed in the workshop's time zone (``<input type="datetime-local">`` sends a naive local
time); the forms turn them into UTC for storage and back into local time to show them again
(``workshops.forms`` and ``workshops.timeutil`` hold the helpers, shared with the calls' form).
"""

from workshops.events.manage_forms.breakout import BreakoutForm, breakout_form_data, new_breakout_data
from workshops.events.manage_forms.message import CancelWorkshopForm, MessageForm
from workshops.events.manage_forms.testbeds import TestBedForm
from workshops.events.manage_forms.workshop import FORMAT_LABELS, STATE_LABELS, WorkshopForm, workshop_form_data

__all__ = [
    "FORMAT_LABELS",
    "STATE_LABELS",
    "BreakoutForm",
    "CancelWorkshopForm",
    "MessageForm",
    "TestBedForm",
    "WorkshopForm",
    "breakout_form_data",
    "new_breakout_data",
    "workshop_form_data",
]
