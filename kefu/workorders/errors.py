"""Stable reasons for work-order errors, sent as `reason` next to the generic `code` of the problem
(`{"code": "conflict", "reason": "transition_not_allowed", "detail": …, "allowed": [...]}`)."""

from enum import StrEnum


class Reason(StrEnum):
    UNKNOWN_CATEGORY = "unknown_category"
    UNKNOWN_REGION = "unknown_region"
    UNKNOWN_HANDLER = "unknown_handler"
    CUSTOMER_REQUIRED = "customer_required"
    DUPLICATE = "duplicate"
    STALE_VERSION = "stale_version"
    NOT_OPEN = "not_open"
    TRANSITION_NOT_ALLOWED = "transition_not_allowed"
    MISSING_FIELDS = "missing_fields"
    UNEXPECTED_FIELDS = "unexpected_fields"
    BAD_VALUE = "bad_value"
    NOT_YOUR_STEP = "not_your_step"
    CLAIMED_BY_OTHER = "claimed_by_other"
    NOT_A_CALLBACK_STEP = "not_a_callback_step"
    ATTACHMENT_TYPE = "attachment_type"
    ATTACHMENT_SIZE = "attachment_size"
    INVALID_WORKFLOW = "invalid_workflow"
    MERGE_REFUSED = "merge_refused"
