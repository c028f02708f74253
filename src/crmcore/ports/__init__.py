"""Ports: the Protocols a host implements (storage, time, ids, users, messages) and Actor."""

from crmcore.ports._actor import Actor, DirectoryUser
from crmcore.ports._checkpoints import CheckpointHook, checkpoint, set_checkpoint_hook
from crmcore.ports._persistence import (
    AggregateKind,
    ClaimingOutbox,
    Outbox,
    Storage,
    StoredEvent,
)
from crmcore.ports._protocols import (
    Aggregate,
    Clock,
    Directory,
    IdGenerator,
    Notification,
    Notifier,
    Repository,
    UnitOfWork,
)

__all__ = [
    "Actor",
    "Aggregate",
    "AggregateKind",
    "CheckpointHook",
    "ClaimingOutbox",
    "Clock",
    "Directory",
    "DirectoryUser",
    "IdGenerator",
    "Notification",
    "Notifier",
    "Outbox",
    "Repository",
    "Storage",
    "StoredEvent",
    "UnitOfWork",
    "checkpoint",
    "set_checkpoint_hook",
]
