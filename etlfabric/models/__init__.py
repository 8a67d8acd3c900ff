"""ORM models. Importing this package registers every table on its metadata."""

from etlfabric.models.audit import AuditLog
from etlfabric.models.base import PlatformBase, TenantBase
from etlfabric.models.connections import Connection, Direction
from etlfabric.models.credentials import ApiKey, RefreshToken
from etlfabric.models.dependencies import Dependency
from etlfabric.models.flows import Flow, FlowStatus
from etlfabric.models.notifications import (
    ChannelKind,
    DeliveryStatus,
    NotificationChannel,
    NotificationDelivery,
    NotificationRule,
    NotifyEvent,
)
from etlfabric.models.organizations import Invitation, Membership, Organization, Role, User
from etlfabric.models.pipelines import Pipeline
from etlfabric.models.runs import Run, RunLog, RunStatus, Trigger
from etlfabric.models.scheduler import SchedulerInstance
from etlfabric.models.schedules import (
    Alert,
    AlertKind,
    CatchUp,
    Overlap,
    Schedule,
    ScheduleKind,
    ShortMonths,
)
from etlfabric.models.scripts import Folder, Script, ScriptType, ScriptVersion
from etlfabric.models.targets import TargetType
from etlfabric.models.transformations import DbtSeed, DbtSnapshot, DbtSource, Transformation
from etlfabric.models.trigger_tokens import TriggerToken

__all__ = [
    "ChannelKind",
    "DeliveryStatus",
    "NotificationChannel",
    "NotificationDelivery",
    "NotificationRule",
    "NotifyEvent",
    "Alert",
    "AlertKind",
    "Flow",
    "FlowStatus",
    "Overlap",
    "ShortMonths",
    "ApiKey",
    "AuditLog",
    "CatchUp",
    "Connection",
    "DbtSeed",
    "DbtSnapshot",
    "DbtSource",
    "Dependency",
    "Direction",
    "Folder",
    "Invitation",
    "Membership",
    "Organization",
    "Pipeline",
    "PlatformBase",
    "RefreshToken",
    "Role",
    "Run",
    "RunLog",
    "RunStatus",
    "Schedule",
    "ScheduleKind",
    "SchedulerInstance",
    "Script",
    "ScriptType",
    "ScriptVersion",
    "TargetType",
    "TenantBase",
    "Transformation",
    "Trigger",
    "TriggerToken",
    "User",
]
