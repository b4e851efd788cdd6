"""Secure cross-border referral of crime victims between Victim Support Europe members."""

__version__ = "0.1.0"
