"""Segment-compatible ingestion: the HTTP Tracking API's messages, durably and exactly once.

The write path (docs/segment.md has the whole story): a request is checked message by
message (:mod:`.messages`), its good rows and its rejects are made durable by a group commit
to ``segment_inbox`` (:mod:`.writer`) before the response, and an applier moves them into
``accounts``, ``contacts`` and ``events`` every few seconds (:mod:`.apply`), deduplicated
by messageId and never dropped for want of an account.
"""

from outsidein.ingest.segment.activity import IngestionOverview, KeyActivity, ingestion_overview
from outsidein.ingest.segment.apply import CycleResult, apply_cycle
from outsidein.ingest.segment.body import MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_BYTES
from outsidein.ingest.segment.errors import (
    IngestUnavailableError,
    InvalidEventsError,
    InvalidPayloadError,
    KeyNotFoundError,
    PayloadTooLargeError,
    SaturatedError,
    SegmentError,
    WriteKeyError,
)
from outsidein.ingest.segment.keys import (
    MASTER_DATA,
    CreatedKey,
    WriteKey,
    check_scopes,
    create_key,
    list_keys,
    revoke_key,
    secret_from_authorization,
)
from outsidein.ingest.segment.messages import TYPES
from outsidein.ingest.segment.service import CheckedRequest, SegmentService
from outsidein.settings.segment import SegmentSettings

__all__ = [
    "MASTER_DATA",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_EVENTS",
    "MAX_EVENT_BYTES",
    "TYPES",
    "CheckedRequest",
    "CreatedKey",
    "CycleResult",
    "IngestUnavailableError",
    "IngestionOverview",
    "InvalidEventsError",
    "InvalidPayloadError",
    "KeyActivity",
    "KeyNotFoundError",
    "PayloadTooLargeError",
    "SaturatedError",
    "SegmentError",
    "SegmentService",
    "SegmentSettings",
    "WriteKey",
    "WriteKeyError",
    "apply_cycle",
    "check_scopes",
    "create_key",
    "ingestion_overview",
    "list_keys",
    "revoke_key",
    "secret_from_authorization",
]
