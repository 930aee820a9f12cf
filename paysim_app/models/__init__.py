"""All tables; importing this package registers them on SQLModel.metadata."""

from paysim_app.models.accounts import (
    AdminRole,
    AdminRolePermission,
    AuthSession,
    LoginChange,
    LoginThrottle,
    PasswordResetToken,
    PhoneCode,
    RateCounter,
    User,
)
from paysim_app.models.audit import AuditLog, BillingRun, JobLease
from paysim_app.models.billing import (
    AutopayRun,
    AutopaySetting,
    CardSetup,
    LedgerEntry,
    Payment,
    SandboxCheckout,
    SavedCard,
)
from paysim_app.models.coverage import BaseStation, CoverageRegion, DemandLead, Settlement
from paysim_app.models.notifications import Notification, NotificationPreference, OutboxEmail
from paysim_app.models.orders import SimOrder, SimOrderEvent
from paysim_app.models.partners import Commission, Partner, PartnerTakings
from paysim_app.models.policy import SimPolicy
from paysim_app.models.privacy import ClosureRequest, ConsentRecord, LegalText
from paysim_app.models.quality import QualityRating, SpeedTest
from paysim_app.models.requests import ActivationRequest, Block, TariffChangeRequest, UnblockRequest
from paysim_app.models.saved_filters import SavedFilter
from paysim_app.models.sims import Sim, SimAddon, SimBalance
from paysim_app.models.static_ip import StaticIp
from paysim_app.models.subscribers import Subscriber
from paysim_app.models.support import CannedReply, Ticket, TicketMessage
from paysim_app.models.tariffs import AddonService, Tariff
from paysim_app.models.two_factor import KnownBrowser, RecoveryCode, SignInChallenge, TwoFactor
from paysim_app.models.usage import UsageHour, UsageRecordSeen

__all__ = [
    "ActivationRequest",
    "AddonService",
    "AdminRole",
    "AdminRolePermission",
    "AuditLog",
    "AuthSession",
    "AutopayRun",
    "AutopaySetting",
    "BaseStation",
    "Block",
    "Commission",
    "CoverageRegion",
    "DemandLead",
    "JobLease",
    "BillingRun",
    "CannedReply",
    "CardSetup",
    "LedgerEntry",
    "LoginChange",
    "LoginThrottle",
    "RateCounter",
    "Notification",
    "NotificationPreference",
    "OutboxEmail",
    "Partner",
    "PartnerTakings",
    "PasswordResetToken",
    "PhoneCode",
    "Payment",
    "QualityRating",
    "SandboxCheckout",
    "SavedCard",
    "SavedFilter",
    "Settlement",
    "Sim",
    "SimAddon",
    "SimBalance",
    "SimOrder",
    "SimOrderEvent",
    "SimPolicy",
    "SpeedTest",
    "StaticIp",
    "Subscriber",
    "TariffChangeRequest",
    "Tariff",
    "Ticket",
    "TicketMessage",
    "UnblockRequest",
    "User",
    "KnownBrowser",
    "RecoveryCode",
    "SignInChallenge",
    "TwoFactor",
    "UsageHour",
    "UsageRecordSeen",
    "ClosureRequest",
    "ConsentRecord",
    "LegalText",
]
