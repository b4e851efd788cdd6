from .languages import Language
from .organisations import CapacityStatus, ContactPoint, Organisation
from .permissions import OrganisationGroupObjectPermission, OrganisationUserObjectPermission

__all__ = [
    "CapacityStatus",
    "ContactPoint",
    "Language",
    "Organisation",
    "OrganisationGroupObjectPermission",
    "OrganisationUserObjectPermission",
]
