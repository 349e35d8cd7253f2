"""Writing use cases, one module a concern; this face is what views, commands and tests call.

``core`` holds what every change shares (errors, the form's values, the locked write, revisions);
``reading`` the needs a person may explore and counts; ``template`` the body new use cases start
from; ``prefill`` a first draft from needs; ``editing`` creating, editing, linking needs, deleting;
``workflow`` the review by role; ``comments`` the discussion during review.
"""

from workshops.needs.queries import vote_counts
from workshops.usecases.services.comments import add_comment
from workshops.usecases.services.core import (
    EDITED_FIELDS,
    FIELD_WORDS,
    SNAPSHOT_FIELDS,
    StaleUseCase,
    UseCaseError,
    UseCaseInput,
)
from workshops.usecases.services.editing import (
    add_needs,
    create_use_case,
    delete_use_case,
    differing_fields,
    remove_need,
    restore_use_case,
    unlink_needs,
    update_use_case,
)
from workshops.usecases.services.prefill import (
    OWNER_TYPES,
    body_with_needs,
    need_bullet,
    owners_from,
    prefill,
)
from workshops.usecases.services.reading import (
    explorable_needs,
    internal_quotations,
    linked_need_ids,
    need_counts,
)
from workshops.usecases.services.template import set_template, template_body, unfinished
from workshops.usecases.services.workflow import REFUSED_WORDS, STATE_CHANGE_WORDS, OwnAcceptance, change_state

__all__ = [
    "EDITED_FIELDS",
    "FIELD_WORDS",
    "OWNER_TYPES",
    "REFUSED_WORDS",
    "SNAPSHOT_FIELDS",
    "STATE_CHANGE_WORDS",
    "OwnAcceptance",
    "StaleUseCase",
    "UseCaseError",
    "UseCaseInput",
    "add_comment",
    "add_needs",
    "body_with_needs",
    "change_state",
    "create_use_case",
    "delete_use_case",
    "differing_fields",
    "explorable_needs",
    "internal_quotations",
    "linked_need_ids",
    "need_bullet",
    "need_counts",
    "owners_from",
    "prefill",
    "remove_need",
    "restore_use_case",
    "set_template",
    "template_body",
    "unfinished",
    "unlink_needs",
    "update_use_case",
    "vote_counts",
]
